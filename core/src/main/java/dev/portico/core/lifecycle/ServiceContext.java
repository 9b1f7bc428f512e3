package dev.portico.core.lifecycle;

import dev.portico.core.limits.DescriptorBudget;
import dev.portico.core.limits.FileLimit;
import dev.portico.core.transport.Transport;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;

import java.nio.file.Path;
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
 * @param stateDir  where services keep what they make and reuse (self-signed certificates, tokens)
 */
public record ServiceContext(Transport transport, EventLoopGroup workers, MeterRegistry meters, Clock clock,
                             ExecutorService blocking, DescriptorBudget descriptors, Path stateDir) {

    /** The default state directory: {@code ~/.portico}. */
    public static Path defaultStateDir() {
        return Path.of(System.getProperty("user.home"), ".portico");
    }

    /** A context whose state lives in {@link #defaultStateDir()}. */
    public ServiceContext(Transport transport, EventLoopGroup workers, MeterRegistry meters, Clock clock,
                          ExecutorService blocking, DescriptorBudget descriptors) {
        this(transport, workers, meters, clock, blocking, descriptors, defaultStateDir());
    }

    /** A context whose services take the whole descriptor limit as read now, less the reserve. */
    public ServiceContext(Transport transport, EventLoopGroup workers, MeterRegistry meters, Clock clock,
                          ExecutorService blocking) {
        this(transport, workers, meters, clock, blocking,
                DescriptorBudget.of(FileLimit.read(), DescriptorBudget.DEFAULT_ADMIN_CONNECTIONS, 1));
    }
}
