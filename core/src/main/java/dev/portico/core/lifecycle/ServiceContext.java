package dev.portico.core.lifecycle;

import dev.portico.core.limits.DescriptorBudget;
import dev.portico.core.limits.FileLimit;
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
 * @param descriptors the process's file descriptors, which services take their default connection caps from
 */
public record ServiceContext(Transport transport, EventLoopGroup workers, MeterRegistry meters, Clock clock,
                             ExecutorService blocking, DescriptorBudget descriptors) {

    /** A context whose services take the whole descriptor limit as read now, less the reserve. */
    public ServiceContext(Transport transport, EventLoopGroup workers, MeterRegistry meters, Clock clock,
                          ExecutorService blocking) {
        this(transport, workers, meters, clock, blocking,
                DescriptorBudget.of(FileLimit.read(), DescriptorBudget.DEFAULT_ADMIN_CONNECTIONS, 1));
    }
}
