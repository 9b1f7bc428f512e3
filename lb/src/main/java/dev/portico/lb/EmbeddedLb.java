package dev.portico.lb;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.transport.Transport;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A load balancer inside an application that has no Portico runtime: it owns its transport,
 * event loops and meters, and gives them back on {@link #close()}.
 *
 * <pre>{@code
 * try (EmbeddedLb lb = EmbeddedLb.start(LbConfig.builder()
 *         .listen("127.0.0.1:8000")
 *         .backend("127.0.0.1:9001")
 *         .backend("127.0.0.1:9002")
 *         .build(), 2)) {
 *     lb.service().switchListener(HostPort.parse("127.0.0.1:8000"), HostPort.parse("127.0.0.1:8080"));
 *     ...
 * }
 * }</pre>
 *
 * <p>TLS routed by server name, without terminating it:
 *
 * <pre>{@code
 * EmbeddedLb.start(LbConfig.builder()
 *         .listen("0.0.0.0:443")
 *         .group("a", "10.0.0.1:443").group("b", "10.0.0.2:443").group("rest", "10.0.0.3:443")
 *         .sniRoute("*.a.test", "a").sniRoute("b.test", "b").sniRoute(LbConfig.SNI_DEFAULT, "rest")
 *         .sniFallback(SniFallback.CLOSE)
 *         .clientHelloTimeout(Duration.ofSeconds(5))
 *         .build(), 2);
 * }</pre>
 */
public final class EmbeddedLb implements AutoCloseable {

    private final Transport transport;
    private final EventLoopGroup loops;
    private final ExecutorService blocking;
    private final MeterRegistry meters;
    private final LbService service;

    private EmbeddedLb(Transport transport, EventLoopGroup loops, ExecutorService blocking, MeterRegistry meters,
                       LbService service) {
        this.transport = transport;
        this.loops = loops;
        this.blocking = blocking;
        this.meters = meters;
        this.service = service;
    }

    /**
     * Starts a balancer named {@code lb} on {@code threads} event loops of the best transport.
     *
     * @throws IOException when a listener cannot be bound; everything is released then
     */
    public static EmbeddedLb start(LbConfig config, int threads) throws IOException {
        return start(config, threads, (Transport.Kind) null);
    }

    /**
     * Starts a balancer named {@code lb} on {@code threads} event loops of a chosen transport.
     *
     * @param transport the preferred transport, or null for the best available; an unavailable
     *                  one falls back to the best available
     * @throws IOException when a listener cannot be bound; everything is released then
     */
    public static EmbeddedLb start(LbConfig config, int threads, Transport.Kind transport) throws IOException {
        return start(config, threads, Transport.select(transport));
    }

    private static EmbeddedLb start(LbConfig config, int threads, Transport transport) throws IOException {
        EventLoopGroup loops = transport.newGroup(threads, "portico-lb");
        ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
        MeterRegistry meters = new SimpleMeterRegistry();
        LbService service = new LbService("lb",
                config, new ServiceContext(transport, loops, meters, Clock.systemUTC(), blocking));
        EmbeddedLb lb = new EmbeddedLb(transport, loops, blocking, meters, service);
        try {
            service.start();
        } catch (IOException | RuntimeException e) {
            lb.close();
            throw e;
        }
        return lb;
    }

    /** The running service, for runtime control. */
    public LbService service() {
        return service;
    }

    /** The transport the event loops use. */
    public Transport transport() {
        return transport;
    }

    /** The meters of this balancer. */
    public MeterRegistry meters() {
        return meters;
    }

    /** Stops the service at once and releases the event loops. */
    @Override
    public void close() {
        service.stop(Duration.ZERO);
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        blocking.shutdownNow();
    }
}
