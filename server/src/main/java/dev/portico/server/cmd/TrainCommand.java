package dev.portico.server.cmd;

import dev.portico.admin.api.AdminApi;
import dev.portico.core.net.HostPort;
import dev.portico.lb.LbService;
import dev.portico.server.Cli;
import dev.portico.server.Daemon;
import dev.portico.server.Main;
import dev.portico.server.Supervisor;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code portico train} (hidden): the short workload the launcher runs once per build under
 * {@code -XX:AOTCacheOutput} to make the JVM's ahead-of-time cache (classes loaded and linked,
 * method profiles). It writes a config with the demo's services (a web site with gzip, a backend,
 * an lb and a caching proxy over it, a DNS server with a health-checked record, the admin
 * endpoint) into a temporary directory, checks it as {@code portico check} does, serves it as
 * {@code portico serve} does, sends each service a few requests over loopback, stops, and removes
 * the directory. Everything listens on 127.0.0.1.
 *
 * <p>{@code portico train web} is the workload of the quick start's own cache: {@code portico web
 * DIR} over the demo's site, with the same requests. The JVM loads every class of a cache when it
 * starts, so a {@code web} start mapping the cache of every service type holds a quarter more of
 * it than it uses (docs/decisions.md).
 *
 * <p>No TLS: the JVM loads every class of the cache when it starts, and the classes that make and
 * read certificates need Bouncy Castle's, which come from signed jars the cache cannot hold; a
 * start would then verify those jars' signatures (a quarter of a second) whether it uses TLS or
 * not. A start with TLS loads them itself (docs/decisions.md).
 */
@Command(name = "train", hidden = true,
        description = "Run a short workload of every service type (for the launcher's AOT cache) and exit.")
public final class TrainCommand implements Callable<Integer> {

    /** Requests sent to each endpoint: enough for the profiles of the request paths, over in a second or two. */
    static final int ROUNDS = 40;

    private static final int TIMEOUT_MILLIS = 5_000;

    /** The workloads, one per cache the launchers make. */
    public enum Workload {
        /** Every service type through {@code check} and {@code serve}: the cache of every command but {@code web}. */
        all,
        /** The {@code web DIR} quick start alone. */
        web
    }

    @Parameters(index = "0", arity = "0..1", defaultValue = "all", paramLabel = "WORKLOAD",
            description = "all (every service type, the default) or web (the web quick start).")
    Workload workload = Workload.all;

    private final Cli cli;

    public TrainCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("portico-train-");
        try {
            byte[] secret = new byte[16];
            new SecureRandom().nextBytes(secret);
            String token = HexFormat.of().formatHex(secret);
            List<String> failures = new ArrayList<>();
            // The same commands in this process, without signal handlers; the hook sends the requests.
            Cli inProcess = new Cli(cli.types(), cli.out(), cli.err(), cli.logging(), false,
                    daemon -> exercise(daemon, token, failures));
            Main main = new Main(inProcess);
            if (workload == Workload.web) {
                int served = main.run("web", DemoCommand.extract(dir.resolve("site")).toString(),
                        "--listen", "127.0.0.1:0", "--admin", "off");
                return failures.isEmpty() ? served : failed(failures);
            }
            Path config = writeConfig(dir, token);
            int checked = main.run("check", "-c", config.toString());
            if (checked != 0) {
                return checked;
            }
            int served = main.run("serve", "-c", config.toString());
            return failures.isEmpty() ? served : failed(failures);
        } finally {
            DemoCommand.deleteTree(dir);
        }
    }

    private int failed(List<String> failures) {
        cli.err().println("portico train: " + String.join("; ", failures));
        return Cli.FAILED;
    }

    /**
     * The demo's services as a config file, on loopback: the lb, the proxy and the DNS record
     * point at a backend web service on a port found free now, the others listen on port 0.
     */
    static Path writeConfig(Path dir, String token) throws IOException {
        Path site = DemoCommand.extract(dir.resolve("site"));
        Path zone = DemoCommand.demoZone(site);
        Path backendRoot = DemoCommand.backendSite(site, 1);
        int port = freePort();
        String backend = "127.0.0.1:" + port;
        return Files.writeString(dir.resolve("portico.yaml"), """
                workers: 2
                shutdown_grace: 1s
                log_level: warn
                state_dir: %s
                admin:
                  listen: 127.0.0.1:0
                  token: %s
                services:
                  site:
                    type: web
                    root: %s
                    listen: 127.0.0.1:0
                    gzip: {enabled: true, cache_dir: %s}
                  backend:
                    type: web
                    listen: %s
                    root: %s
                    expires: {css: 1m}
                  balanced:
                    type: lb
                    listen: [127.0.0.1:0]
                    backends: [%s]
                  proxied:
                    type: proxy
                    listen: [127.0.0.1:0]
                    backends: [%s]
                    health: tcp
                    cache: {memory_size: 8m}
                  names:
                    type: dns
                    listen: [127.0.0.1:0]
                    zones: {demo.test: %s}
                    dynamic:
                      www.demo.test:
                        ttl: 30/5
                        addresses: [127.0.0.1]
                        health: {type: tcp, port: %d, interval: 1s}
                """.formatted(dir.resolve("state"), token, site, dir.resolve("gzip-cache"), backend, backendRoot,
                backend, backend, zone, port), StandardCharsets.UTF_8);
    }

    /** Sends every service its requests, then asks the daemon to stop. */
    private void exercise(Daemon daemon, String token, List<String> failures) {
        try {
            List<Runnable> work = new ArrayList<>();
            for (Supervisor.Running r : daemon.supervisor().running()) {
                if (r.service() instanceof LbService lb) {
                    lb.listenAddresses().forEach(a -> work.add(() -> http(a, "/", null, failures)));
                    continue;
                }
                for (String endpoint : r.service().endpoints()) {
                    if (endpoint.startsWith("dns ")) {
                        HostPort at = HostPort.parse(endpoint.substring(endpoint.lastIndexOf(' ') + 1));
                        work.add(() -> dns(new InetSocketAddress(at.host(), at.port()), failures));
                    } else if (endpoint.startsWith("http://")) {
                        URI u = URI.create(endpoint);
                        InetSocketAddress a = new InetSocketAddress(u.getHost(), u.getPort());
                        work.add(() -> http(a, "/", null, failures));
                        work.add(() -> http(a, "/missing", null, failures));
                    }
                }
            }
            if (daemon.admin() != null) {
                URI base = URI.create(daemon.admin().baseUrl());
                InetSocketAddress a = new InetSocketAddress(base.getHost(), base.getPort());
                work.add(() -> http(a, AdminApi.PREFIX + "services", token, failures));
                work.add(() -> http(a, "/metrics", token, failures));
            }
            for (int i = 0; i < ROUNDS && failures.isEmpty(); i++) {
                work.forEach(Runnable::run);
            }
        } catch (RuntimeException e) {
            failures.add(e.toString());
        } finally {
            daemon.requestStop();
        }
    }

    /** One HTTP/1.1 GET with gzip accepted; a status of 500 or more, or no status line, is a failure. */
    private static void http(InetSocketAddress at, String path, String token, List<String> failures) {
        try (Socket s = new Socket()) {
            s.connect(at, TIMEOUT_MILLIS);
            s.setSoTimeout(TIMEOUT_MILLIS);
            exchange(s, at, path, token, failures);
        } catch (IOException e) {
            failures.add(at + path + ": " + e);
        }
    }

    private static void exchange(Socket s, InetSocketAddress at, String path, String token, List<String> failures)
            throws IOException {
        String request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n"
                + (token != null ? "Authorization: Bearer " + token + "\r\n" : "") + "Connection: close\r\n\r\n";
        OutputStream out = s.getOutputStream();
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        byte[] answer = s.getInputStream().readAllBytes();
        String head = new String(answer, 0, Math.min(answer.length, 12), StandardCharsets.US_ASCII);
        if (head.length() < 12 || !head.startsWith("HTTP/1.1 ") || head.charAt(9) >= '5') {
            failures.add(at + path + " answered '" + head + "'");
        }
    }

    private static void dns(InetSocketAddress at, List<String> failures) {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(TIMEOUT_MILLIS);
            byte[] query = Message.newQuery(Record.newRecord(Name.fromString("www.demo.test."), Type.A, DClass.IN))
                    .toWire();
            s.send(new DatagramPacket(query, query.length, at));
            DatagramPacket answer = new DatagramPacket(new byte[1232], 1232);
            s.receive(answer);
            new Message(java.util.Arrays.copyOf(answer.getData(), answer.getLength()));
        } catch (IOException e) {
            failures.add("dns " + at + ": " + e);
        }
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
