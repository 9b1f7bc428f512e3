package dev.portico.dns;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.transport.Transport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A DNS server inside an application that has no Portico runtime: it owns its transport, event
 * loops and blocking executor, and gives them back on {@link #close()}.
 *
 * <pre>{@code
 * try (EmbeddedDns dns = EmbeddedDns.start(DnsConfig.builder()
 *         .listen("127.0.0.1:5353")
 *         .zone("example.test", Path.of("example.test.zone"))
 *         .build(), 2)) {
 *     ...
 *     dns.service().reload();
 * }
 * }</pre>
 */
public final class EmbeddedDns implements AutoCloseable {

    private final Transport transport;
    private final EventLoopGroup loops;
    private final ExecutorService blocking;
    private final DnsService service;

    private EmbeddedDns(Transport transport, EventLoopGroup loops, ExecutorService blocking, DnsService service) {
        this.transport = transport;
        this.loops = loops;
        this.blocking = blocking;
        this.service = service;
    }

    /**
     * Starts a server named {@code dns} on {@code threads} event loops of the best transport.
     *
     * @param config  the config
     * @param threads the number of worker event loops (each gets its own UDP socket)
     * @return the running server
     * @throws IOException when a zone cannot be loaded or an address bound; everything is released then
     */
    public static EmbeddedDns start(DnsConfig config, int threads) throws IOException {
        return start(config, threads, null);
    }

    /**
     * Starts a server named {@code dns} on {@code threads} event loops of the preferred transport.
     *
     * @param config    the config
     * @param threads   the number of worker event loops (each gets its own UDP socket)
     * @param preferred the transport to use when available; null picks the best one
     * @return the running server
     * @throws IOException when a zone cannot be loaded or an address bound; everything is released then
     */
    public static EmbeddedDns start(DnsConfig config, int threads, Transport.Kind preferred) throws IOException {
        Transport transport = Transport.select(preferred);
        EventLoopGroup loops = transport.newGroup(threads, "portico-dns");
        ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
        DnsService service = new DnsService("dns", config,
                new ServiceContext(transport, loops, new SimpleMeterRegistry(), Clock.systemUTC(), blocking));
        EmbeddedDns dns = new EmbeddedDns(transport, loops, blocking, service);
        try {
            service.start();
        } catch (IOException | RuntimeException e) {
            dns.close();
            throw e;
        }
        return dns;
    }

    /**
     * The running service, for reloads and status.
     *
     * @return the service
     */
    public DnsService service() {
        return service;
    }

    /**
     * The transport the event loops run on.
     *
     * @return the transport
     */
    public Transport transport() {
        return transport;
    }

    /**
     * The first listen address as bound.
     *
     * @return the address with its real port
     */
    public InetSocketAddress address() {
        return service.localAddresses().getFirst();
    }

    /** Stops the service at once and releases the event loops. */
    @Override
    public void close() {
        service.stop(Duration.ZERO);
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        blocking.shutdownNow();
    }
}
