package dev.portico.dns;

import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * NLnet Labs' NSD (Debian's {@code nsd} package) run in the foreground on 127.0.0.1 with its own
 * config, state and logs in a directory of the test's, serving the given zone files; the reference
 * that {@link NsdComparisonTest} holds Portico's answers against. Response rate limiting is off.
 */
final class NsdProcess implements AutoCloseable {

    private static final List<Path> LOCATIONS = List.of(Path.of("/usr/sbin/nsd"), Path.of("/usr/bin/nsd"),
            Path.of("/usr/local/sbin/nsd"));

    private final Process process;
    private final InetSocketAddress address;
    private final Path dir;

    private NsdProcess(Process process, InetSocketAddress address, Path dir) {
        this.process = process;
        this.address = address;
        this.dir = dir;
    }

    /** The nsd binary, or null when it is not installed. */
    static Path binary() {
        return LOCATIONS.stream().filter(Files::isExecutable).findFirst().orElse(null);
    }

    /**
     * Starts NSD and waits until it answers the SOA of the first zone.
     *
     * @param binary the nsd binary
     * @param dir    where its config, state and log go (the zone files are read where they are)
     * @param zones  origin to zone file, in order
     */
    static NsdProcess start(Path binary, Path dir, Map<String, Path> zones) throws IOException {
        String first = zones.keySet().iterator().next();
        for (int attempt = 1; ; attempt++) {
            // The port is free when chosen; should another socket take it before NSD binds, NSD
            // exits and a new port is tried.
            NsdProcess nsd = launch(binary, dir, zones, freePort());
            try {
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                        .until(() -> !nsd.process.isAlive() || nsd.answersSoa(first));
            } catch (RuntimeException e) {
                nsd.close();
                throw new AssertionError("nsd did not answer within 20s: " + nsd.output(), e);
            }
            if (nsd.process.isAlive()) {
                return nsd;
            }
            nsd.close();
            if (attempt == 3) {
                throw new AssertionError("nsd exited: " + nsd.output());
            }
        }
    }

    private static NsdProcess launch(Path binary, Path dir, Map<String, Path> zones, int port) throws IOException {
        StringBuilder conf = new StringBuilder()
                .append("server:\n")
                .append("  ip-address: 127.0.0.1\n")
                .append("  port: ").append(port).append('\n')
                .append("  username: \"\"\n")
                .append("  chroot: \"\"\n")
                .append("  zonesdir: \"").append(dir).append("\"\n")
                .append("  pidfile: \"").append(dir.resolve("nsd.pid")).append("\"\n")
                .append("  xfrdfile: \"").append(dir.resolve("xfrd.state")).append("\"\n")
                .append("  zonelistfile: \"").append(dir.resolve("zone.list")).append("\"\n")
                .append("  xfrdir: \"").append(dir).append("\"\n")
                .append("  database: \"\"\n")
                .append("  logfile: \"").append(dir.resolve("nsd.log")).append("\"\n")
                .append("  server-count: 1\n")
                .append("  verbosity: 0\n")
                .append("  minimal-responses: yes\n")
                .append("  rrl-ratelimit: 0\n")
                .append("remote-control:\n")
                .append("  control-enable: no\n");
        for (Map.Entry<String, Path> z : zones.entrySet()) {
            conf.append("zone:\n  name: ").append(z.getKey()).append("\n  zonefile: \"")
                    .append(z.getValue().toAbsolutePath()).append("\"\n");
        }
        Path confFile = dir.resolve("nsd.conf");
        Files.writeString(confFile, conf, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(binary.toString(), "-d", "-c", confFile.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("nsd.out").toFile()).start();
        return new NsdProcess(p, new InetSocketAddress(InetAddress.getLoopbackAddress(), port), dir);
    }

    private boolean answersSoa(String zone) throws IOException {
        SimpleResolver r = new SimpleResolver(address);
        r.setTimeout(Duration.ofMillis(500));
        Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString(zone + "."), Type.SOA, DClass.IN)));
        return m.getRcode() == Rcode.NOERROR && !m.getSection(org.xbill.DNS.Section.ANSWER).isEmpty();
    }

    /** A port that is free for both UDP and TCP on 127.0.0.1 right now. */
    private static int freePort() throws IOException {
        for (int attempt = 0; ; attempt++) {
            try (ServerSocket tcp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int port = tcp.getLocalPort();
                try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                    return udp.getLocalPort();
                } catch (IOException e) {
                    if (attempt >= 20) {
                        throw e;
                    }
                }
            }
        }
    }

    InetSocketAddress address() {
        return address;
    }

    /** What nsd printed and logged, for failure messages. */
    String output() {
        StringBuilder sb = new StringBuilder();
        for (String f : List.of("nsd.out", "nsd.log")) {
            try {
                Path p = dir.resolve(f);
                if (Files.exists(p)) {
                    sb.append(Files.readString(p, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                sb.append(f).append(": ").append(e.getMessage());
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
