package dev.portico.core.lifecycle;

import dev.portico.core.transport.Transport;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;

import java.time.Clock;
import java.util.concurrent.ExecutorService;

/**
 * What a service needs from the process, handed in rather than looked up: the transport and its
 * event loops, the metrics registry, a clock, and an executor for blocking work that must stay
 * off the event loops.
 *
 * @param transport the transport the loops run on
 * @param workers   the event loops, one per worker
 * @param meters    where services register their meters
 * @param clock     wall time, injectable for tests
 * @param blocking  an executor for file and other blocking work
 */
public record ServiceContext(Transport transport, EventLoopGroup workers, MeterRegistry meters, Clock clock,
                             ExecutorService blocking) {
}
