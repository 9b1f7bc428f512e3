package dev.portico.examples;

import com.sun.net.httpserver.HttpServer;
import dev.portico.core.net.HostPort;
import dev.portico.lb.EmbeddedLb;
import dev.portico.lb.LbConfig;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Embeds a TCP load balancer in an application: two small HTTP backends, a balancer in front of
 * them built with {@link LbConfig#builder()}, then runtime control — moving the balancer to another
 * port without dropping open connections (txLoadBalancer's {@code switchPort}), draining a backend,
 * adding one. Run it with {@code [port]}; it prints what it does and keeps serving until killed.
 */
public final class LbExample implements AutoCloseable {

    private final List<HttpServer> backends = new ArrayList<>();
    private final EmbeddedLb lb;
    private HostPort listening;

    /** Starts two backends and a balancer on {@code listen} in front of them. */
    public LbExample(HostPort listen) throws IOException {
        LbConfig.Builder config = LbConfig.builder().listen(listen).scheduler("roundrobin").health("tcp");
        for (int i = 1; i <= 2; i++) {
            HttpServer backend = backend("backend " + i);
            backends.add(backend);
            config.backend("127.0.0.1:" + backend.getAddress().getPort());
        }
        lb = EmbeddedLb.start(config.build(), 2);
        listening = listen;
    }

    /** A tiny HTTP server that says who it is. */
    static HttpServer backend(String name) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        s.createContext("/", exchange -> {
            byte[] body = (name + " answered\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        s.start();
        return s;
    }

    /** The balancer's port. */
    public int port() {
        return lb.service().port();
    }

    /** The balancer, for runtime control. */
    public EmbeddedLb balancer() {
        return lb;
    }

    /** The address of backend {@code i} (0 or 1). */
    public String backend(int i) {
        return "127.0.0.1:" + backends.get(i).getAddress().getPort();
    }

    /** Moves the balancer from its current port to {@code to}; open connections stay. */
    public InetSocketAddress switchPort(HostPort to) throws IOException {
        InetSocketAddress bound = lb.service().switchListener(listening, to);
        listening = to;
        return bound;
    }

    /** Adds a third backend to the main group; returns its address. */
    public String addBackend() throws IOException {
        HttpServer third = backend("backend 3");
        backends.add(third);
        String address = "127.0.0.1:" + third.getAddress().getPort();
        lb.service().addBackend("main", new LbConfig.BackendSpec(HostPort.parse(address), 1));
        return address;
    }

    @Override
    public void close() {
        lb.close();
        backends.forEach(b -> b.stop(0));
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8000;
        LbExample example = new LbExample(new HostPort("127.0.0.1", port));
        Runtime.getRuntime().addShutdownHook(new Thread(example::close));
        System.out.println("balancing http://127.0.0.1:" + example.port() + "/ over " + example.backend(0) + " and "
                + example.backend(1));
        InetSocketAddress moved = example.switchPort(new HostPort("127.0.0.1", port + 1));
        System.out.println("moved to http://127.0.0.1:" + moved.getPort() + "/ (switchPort); open connections kept");
        example.balancer().service().drain("main", example.backend(0));
        System.out.println("draining " + example.backend(0) + "; added " + example.addBackend());
        Thread.currentThread().join();
    }
}
