package dev.portico.testing.netem;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hosts in network namespaces joined by emulated links: every host is a namespace of its own, and
 * one more namespace, R, holds the {@link LinkEmulator}. A link between hosts X and Y is two veth
 * pairs, X–R and R–Y, that the emulator bridges frame by frame (layer 2), so X and Y share one
 * subnet: link {@code i} is {@code 10.203.i.0/24} and {@code fd00:203:i::/64}, X having
 * {@code .1}/{@code ::1} and Y {@code .2}/{@code ::2}, on a device named {@code wan<i>} in each.
 * Checksum and segmentation offloads are off on every veth (a frame copied by a packet socket
 * would otherwise arrive with a bad TCP checksum); R has no addresses and no IPv6. Hosts do not
 * keep TCP metrics between connections ({@code net.ipv4.tcp_no_metrics_save=1}), so a run does not
 * start from the ssthresh the previous one left.
 *
 * <p>Names are unique per run ({@code portico-<pid>-<random>-<host>}). {@link #close()} stops every
 * process started in the namespaces and deletes them, as does a shutdown hook if the JVM exits
 * first; a namespace left by a process that died (kill -9) is deleted by the next start.
 *
 * <pre>
 * try (NetnsTopology net = NetnsTopology.builder()
 *         .link("a", "b", LinkSpec.parse("delay=50ms,rate=50mbit"), LinkSpec.parse("delay=50ms,rate=50mbit"))
 *         .start()) {
 *     net.host("a").exec(Duration.ofSeconds(10), "ping", "-c", "3", net.link(0).yAddress());
 *     DirectionStats ab = net.stats().get(net.link(0).forward());
 * }
 * </pre>
 *
 * Needs root, {@code ip} (iproute2), {@code ethtool} and network namespaces; see
 * {@link #missing(String...)}. From a shell, {@link #main} holds a topology until SIGTERM.
 */
public final class NetnsTopology implements AutoCloseable {

    /** A host: one namespace, with a {@code wan<i>} device per link it is on. */
    public final class Host {
        private final String name;
        private final String namespace;

        private Host(String name, String namespace) {
            this.name = name;
            this.namespace = namespace;
        }

        public String name() {
            return name;
        }

        /** The namespace's name, for {@code ip netns exec}. */
        public String namespace() {
            return namespace;
        }

        /** Runs a command in the namespace and waits for it (killed after {@code timeout}). */
        public Result exec(Duration timeout, String... command) throws IOException, InterruptedException {
            return run(timeout, inNamespace(namespace, List.of(command)));
        }

        /**
         * Starts a command in the namespace, its standard output and error going to {@code log}
         * (appended). It is stopped by {@link NetnsTopology#close()} if still running.
         */
        public Process start(Path log, String... command) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(inNamespace(namespace, List.of(command)))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Process p = pb.start();
            processes.add(p);
            return p;
        }
    }

    /**
     * Link {@code index} between hosts {@code x} and {@code y}: their IPv4 and IPv6 addresses,
     * and the names of its two directions in the emulator's counters.
     */
    public record Link(int index, String x, String y, String xAddress, String yAddress,
                       String xAddress6, String yAddress6, String forward, String backward) {
        /** The device on both hosts. */
        public String device() {
            return "wan" + index;
        }

        /** The IPv4 prefix length of the link's subnet. */
        public int prefixLength() {
            return 24;
        }
    }

    /** What a command did. */
    public record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /** The emulator's counters at one instant ({@link System#nanoTime()} of the emulator's JVM). */
    public record Stats(long timeNanos, Map<String, DirectionStats> directions) {
        public DirectionStats get(String direction) {
            DirectionStats d = directions.get(direction);
            if (d == null) {
                throw new IllegalArgumentException("no direction " + direction + " (have " + directions.keySet() + ")");
            }
            return d;
        }
    }

    /** Describes the hosts and links before {@link #start()}. */
    public static final class Builder {
        private final List<String[]> links = new ArrayList<>();
        private final List<LinkSpec[]> specs = new ArrayList<>();
        private int emulatorCpu = -1;
        private int slots = 4096;
        private Path statsFile;
        private Duration startTimeout = Duration.ofSeconds(30);

        private Builder() {
        }

        /**
         * Adds a link between hosts {@code x} and {@code y} (lower-case letters, at most 8; not
         * {@code r}), created if new; {@code xToY} applies to frames from x to y.
         */
        public Builder link(String x, String y, LinkSpec xToY, LinkSpec yToX) {
            for (String h : List.of(x, y)) {
                if (!h.matches("[a-z]{1,8}") || h.equals("r")) {
                    throw new IllegalArgumentException("host name '" + h + "' must be 1-8 lower-case letters, not r");
                }
            }
            if (x.equals(y)) {
                throw new IllegalArgumentException("a link joins two different hosts, not " + x + " and itself");
            }
            if (links.size() >= 250) {
                throw new IllegalArgumentException("at most 250 links");
            }
            links.add(new String[] {x, y});
            specs.add(new LinkSpec[] {xToY, yToX});
            return this;
        }

        /** Pins the emulator to this CPU ({@code taskset}); by default it runs anywhere. */
        public Builder emulatorCpu(int cpu) {
            this.emulatorCpu = cpu;
            return this;
        }

        /**
         * Frame buffers per direction (4096 by default, 2 KiB each at a 1500-byte MTU): enough for
         * the frames in flight on the link (rate × one-way delay, plus the queue). A frame that
         * finds none free is dropped and counted as {@link DirectionStats#noBufferFrames()}.
         */
        public Builder slots(int count) {
            if (count < 16) {
                throw new IllegalArgumentException("at least 16 slots, not " + count);
            }
            this.slots = count;
            return this;
        }

        /** Where the emulator writes its final counters when it stops. */
        public Builder statsFile(Path file) {
            this.statsFile = file;
            return this;
        }

        /** How long the set-up and the emulator's start may take (30 s). */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /** Creates the namespaces, devices and addresses and starts the emulator. */
        public NetnsTopology start() throws IOException, InterruptedException {
            if (links.isEmpty()) {
                throw new IllegalArgumentException("no link");
            }
            NetnsTopology t = new NetnsTopology(this);
            try {
                t.setUp();
            } catch (IOException | InterruptedException | RuntimeException e) {
                try {
                    t.close();
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            return t;
        }
    }

    private static final Pattern OURS = Pattern.compile("portico-(\\d+)-[0-9a-f]+-[a-z]+");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);
    /** Put after the emulator's last line when its output ends (compared by identity). */
    @SuppressWarnings("StringOperationCanBeSimplified")
    private static final String EOF = new String("end of output");

    private final Builder spec;
    private final String prefix;
    private final Map<String, Host> hosts = new LinkedHashMap<>();
    private final List<Link> links = new ArrayList<>();
    private final List<String> created = new CopyOnWriteArrayList<>();
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final BlockingQueue<String> emulatorLines = new LinkedBlockingQueue<>();
    private final String ip;
    private final String ethtool;
    private final Thread hook;
    private Process emulator;
    private OutputStream emulatorInput;
    private Path emulatorLog;
    private volatile boolean closed;

    private NetnsTopology(Builder spec) {
        this.spec = spec;
        this.prefix = "portico-" + ProcessHandle.current().pid() + "-"
                + HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
        this.ip = findCommand("ip");
        this.ethtool = findCommand("ethtool");
        this.hook = new Thread(() -> {
            try {
                close();
            } catch (IOException | RuntimeException e) {
                System.err.println("netns: clean-up at exit failed: " + e.getMessage());
            }
        }, "netns-cleanup");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Two hosts, {@code a} and {@code b}, on one link (link 0). */
    public static NetnsTopology pair(LinkSpec aToB, LinkSpec bToA) throws IOException, InterruptedException {
        return builder().link("a", "b", aToB, bToA).start();
    }

    public Host host(String name) {
        Host h = hosts.get(name);
        if (h == null) {
            throw new IllegalArgumentException("no host " + name + " (have " + hosts.keySet() + ")");
        }
        return h;
    }

    public Link link(int index) {
        return links.get(index);
    }

    public List<Link> links() {
        return List.copyOf(links);
    }

    /** The emulator's namespace. */
    public String bridgeNamespace() {
        return prefix + "-r";
    }

    /** Every namespace this topology made (deleted by {@link #close()}). */
    public List<String> namespaces() {
        return List.copyOf(created);
    }

    /** The emulator's process. */
    public Process emulator() {
        return emulator;
    }

    // ---- set-up ---------------------------------------------------------------------------------

    private void setUp() throws IOException, InterruptedException {
        if (ip == null) {
            throw new IOException("the ip command (iproute2) is not installed");
        }
        if (ethtool == null) {
            throw new IOException("ethtool is not installed (Debian package ethtool)");
        }
        removeStale(ip);
        Runtime.getRuntime().addShutdownHook(hook);
        Set<String> names = new LinkedHashSet<>();
        for (String[] l : spec.links) {
            names.add(l[0]);
            names.add(l[1]);
        }
        String r = bridgeNamespace();
        addNamespace(r);
        mustRun(ip, "netns", "exec", r, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1");
        for (String name : names) {
            String ns = prefix + "-" + name;
            addNamespace(ns);
            // Each connection starts afresh: no ssthresh or RTT remembered from the previous one
            // to the same address, so that repeated runs measure the same thing.
            mustRun(ip, "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.tcp_no_metrics_save=1");
            hosts.put(name, new Host(name, ns));
        }
        List<String> bridges = new ArrayList<>();
        for (int i = 0; i < spec.links.size(); i++) {
            String x = spec.links.get(i)[0];
            String y = spec.links.get(i)[1];
            String dev = "wan" + i;
            for (String h : List.of(x, y)) {
                String port = h + i;
                String ns = hosts.get(h).namespace();
                mustRun(ip, "-n", r, "link", "add", port, "type", "veth", "peer", "name", dev, "netns", ns);
                offloadOff(r, port);
                offloadOff(ns, dev);
                mustRun(ip, "-n", r, "link", "set", port, "promisc", "on", "up");
            }
            Link link = new Link(i, x, y, "10.203." + i + ".1", "10.203." + i + ".2",
                    "fd00:203:" + Integer.toHexString(i) + "::1", "fd00:203:" + Integer.toHexString(i) + "::2",
                    x + i + "-" + y + i, y + i + "-" + x + i);
            String xns = hosts.get(x).namespace();
            String yns = hosts.get(y).namespace();
            mustRun(ip, "-n", xns, "addr", "add", link.xAddress() + "/24", "dev", dev);
            mustRun(ip, "-n", yns, "addr", "add", link.yAddress() + "/24", "dev", dev);
            mustRun(ip, "-n", xns, "addr", "add", link.xAddress6() + "/64", "dev", dev, "nodad");
            mustRun(ip, "-n", yns, "addr", "add", link.yAddress6() + "/64", "dev", dev, "nodad");
            mustRun(ip, "-n", xns, "link", "set", dev, "up");
            mustRun(ip, "-n", yns, "link", "set", dev, "up");
            links.add(link);
            bridges.addAll(List.of("--bridge", x + i, y + i,
                    spec.specs.get(i)[0].toString(), spec.specs.get(i)[1].toString()));
        }
        startEmulator(r, bridges);
    }

    private void addNamespace(String ns) throws IOException, InterruptedException {
        mustRun(ip, "netns", "add", ns);
        created.add(ns);
        mustRun(ip, "-n", ns, "link", "set", "lo", "up");
    }

    private void offloadOff(String ns, String dev) throws IOException, InterruptedException {
        mustRun(ip, "netns", "exec", ns, ethtool, "-K", dev, "tx", "off", "tso", "off", "gso", "off", "gro", "off");
    }

    private void startEmulator(String r, List<String> bridges) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ip, "netns", "exec", r));
        if (spec.emulatorCpu >= 0) {
            String taskset = findCommand("taskset");
            if (taskset == null) {
                throw new IOException("taskset (util-linux) is not installed, and the emulator is to be pinned");
            }
            cmd.addAll(List.of(taskset, "-c", Integer.toString(spec.emulatorCpu)));
        }
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xms32m", "-Xmx64m",
                "-cp", classesOf(LinkEmulator.class), LinkEmulator.class.getName()));
        cmd.addAll(bridges);
        cmd.addAll(List.of("--slots", Integer.toString(spec.slots)));
        if (spec.statsFile != null) {
            cmd.addAll(List.of("--stats", spec.statsFile.toString()));
        }
        emulatorLog = Files.createTempFile("portico-netem", ".log");
        emulator = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.appendTo(emulatorLog.toFile()))
                .start();
        emulatorInput = emulator.getOutputStream();
        InputStream stdout = emulator.getInputStream();
        Thread.ofPlatform().name("netem-out-" + prefix).daemon().start(() -> {
            try (BufferedReader r2 = new BufferedReader(new InputStreamReader(stdout, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r2.readLine()) != null) {
                    emulatorLines.add(line);
                }
            } catch (IOException e) {
                // The emulator's end.
            }
            emulatorLines.add(EOF);
        });
        String first = emulatorLines.poll(spec.startTimeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!"ready".equals(first)) {
            emulator.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            String why = first == null ? "no answer within " + spec.startTimeout
                    : first == EOF ? "it exited with status " + emulator.exitValue() : first;
            throw new IOException("the link emulator did not start (" + why + "): " + emulatorErrors());
        }
    }

    private String emulatorErrors() {
        try {
            String s = emulatorLog == null ? "" : Files.readString(emulatorLog).strip();
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(its log is unreadable: " + e.getMessage() + ")";
        }
    }

    /** The directory or jar that holds {@code type}, for the emulator's class path. */
    private static String classesOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the classes of " + type.getName(), e);
        }
    }

    // ---- the emulator at run time ---------------------------------------------------------------

    /** The emulator's counters now. */
    public synchronized Stats stats() throws IOException, InterruptedException {
        List<String> reply = ask("stats");
        long time = Long.parseLong(reply.getFirst().substring("stats time_ns=".length()));
        Map<String, DirectionStats> map = new LinkedHashMap<>();
        for (String line : reply.subList(1, reply.size())) {
            DirectionStats d = DirectionStats.parse(line);
            map.put(d.name(), d);
        }
        return new Stats(time, map);
    }

    /** Changes one direction's settings (a {@link Link#forward()} or {@link Link#backward()} name). */
    public synchronized void set(String direction, LinkSpec newSpec) throws IOException, InterruptedException {
        List<String> reply = ask("set " + direction + " " + newSpec);
        if (!reply.getFirst().equals("ok")) {
            throw new IllegalArgumentException("the emulator refused: " + reply.getFirst());
        }
    }

    private List<String> ask(String command) throws IOException, InterruptedException {
        if (closed || !emulator.isAlive()) {
            throw new IOException("the link emulator is not running: " + emulatorErrors());
        }
        emulatorLines.clear();
        emulatorInput.write((command + "\n").getBytes(StandardCharsets.UTF_8));
        emulatorInput.flush();
        List<String> lines = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            String line = emulatorLines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (line == null || line == EOF) {
                throw new IOException("no answer from the link emulator to '" + command + "': " + emulatorErrors());
            }
            if (line.equals("end") || line.equals("ok") || line.startsWith("error ")) {
                if (!line.equals("end")) {
                    lines.add(line);
                }
                return lines;
            }
            lines.add(line);
        }
    }

    // ---- clean-up -------------------------------------------------------------------------------

    /**
     * Stops the processes started in the namespaces and the emulator (which then writes its stats
     * file), and deletes the namespaces with their devices.
     *
     * @throws IOException if a namespace could not be deleted
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // Shutting down (we are the hook), or the hook was never added.
        }
        for (Process p : processes) {
            stop(p);
        }
        if (emulator != null) {
            stop(emulator);
        }
        List<String> failures = new ArrayList<>();
        for (String ns : created.reversed()) {
            String why = deleteNamespace(ip, ns);
            if (why != null) {
                failures.add(why);
            }
        }
        if (emulatorLog != null) {
            Files.deleteIfExists(emulatorLog);
        }
        if (!failures.isEmpty()) {
            throw new IOException(String.join("; ", failures));
        }
    }

    private static void stop(Process p) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Kills what still runs in the namespace and deletes it; null, or why it failed. */
    private static String deleteNamespace(String ip, String ns) {
        try {
            Result pids = run(COMMAND_TIMEOUT, List.of(ip, "netns", "pids", ns));
            for (String pid : pids.stdout().strip().split("\\s+")) {
                if (!pid.isEmpty()) {
                    ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
            Result r = run(COMMAND_TIMEOUT, List.of(ip, "netns", "delete", ns));
            if (!r.ok() && Files.exists(Path.of("/run/netns", ns))) {
                return "ip netns delete " + ns + ": " + r.stderr().strip();
            }
            return null;
        } catch (IOException e) {
            return "ip netns delete " + ns + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while deleting " + ns;
        }
    }

    /** Deletes namespaces of earlier topologies whose process is gone. */
    private static void removeStale(String ip) {
        try (var entries = Files.list(Path.of("/run/netns"))) {
            for (Path p : entries.toList()) {
                Matcher m = OURS.matcher(p.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    deleteNamespace(ip, p.getFileName().toString());
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // No /run/netns yet: nothing is stale.
        }
    }

    // ---- commands -------------------------------------------------------------------------------

    private List<String> inNamespace(String ns, List<String> command) {
        List<String> cmd = new ArrayList<>(List.of(ip, "netns", "exec", ns));
        cmd.addAll(command);
        return cmd;
    }

    private static void mustRun(String... command) throws IOException, InterruptedException {
        Result r = run(COMMAND_TIMEOUT, List.of(command));
        if (!r.ok()) {
            throw new IOException(String.join(" ", command) + " failed (" + r.exitCode() + "): " + r.stderr().strip());
        }
    }

    static Result run(Duration timeout, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        // One virtual thread per stream: reading both from one thread could wait for stdout's end
        // while the command blocks on a full stderr pipe.
        CompletableFuture<byte[]> out = new CompletableFuture<>();
        CompletableFuture<byte[]> err = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> out.complete(readAll(p.getInputStream())));
        Thread.ofVirtual().start(() -> err.complete(readAll(p.getErrorStream())));
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new IOException(String.join(" ", command) + " did not finish within " + timeout);
        }
        return new Result(p.exitValue(), new String(out.join(), StandardCharsets.UTF_8),
                new String(err.join(), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /** The absolute path of a command on PATH or in the sbin directories, or null. */
    static String findCommand(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        for (String d : dirs) {
            if (!d.isEmpty()) {
                Path p = Path.of(d, name);
                if (Files.isExecutable(p)) {
                    return p.toString();
                }
            }
        }
        return null;
    }

    // ---- what is needed -------------------------------------------------------------------------

    /**
     * What this machine lacks to run topologies and the given commands (e.g. {@code iperf3},
     * {@code ping}), each said precisely; empty when nothing is missing. Checks Linux, root,
     * {@code /dev/net/tun}, {@code ip}, {@code ethtool}, and that a namespace can be made.
     */
    public static List<String> missing(String... commands) {
        List<String> m = new ArrayList<>();
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            m.add("Linux (this is " + System.getProperty("os.name") + ")");
            return m;
        }
        String uid = uid();
        if (!"0".equals(uid)) {
            m.add("root (running as uid " + uid + ")");
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            m.add("/dev/net/tun (the TUN driver)");
        }
        String ip = findCommand("ip");
        if (ip == null) {
            m.add("the ip command (Debian package iproute2)");
        }
        for (String c : commands) {
            if (findCommand(c) == null) {
                m.add(c + " (Debian package " + packageOf(c) + ")");
            }
        }
        if (findCommand("ethtool") == null) {
            m.add("ethtool (Debian package ethtool)");
        }
        if (ip != null && "0".equals(uid)) {
            String probe = "portico-" + ProcessHandle.current().pid() + "-0-probe";
            try {
                Result r = run(COMMAND_TIMEOUT, List.of(ip, "netns", "add", probe));
                if (!r.ok()) {
                    m.add("network namespaces (ip netns add: " + r.stderr().strip() + ")");
                } else {
                    run(COMMAND_TIMEOUT, List.of(ip, "netns", "delete", probe));
                }
            } catch (IOException e) {
                m.add("network namespaces (" + e.getMessage() + ")");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                m.add("network namespaces (interrupted while checking)");
            }
        }
        return m;
    }

    private static String uid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.substring(4).strip().split("\\s+")[1];
                }
            }
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
        return "unknown";
    }

    private static String packageOf(String command) {
        return switch (command) {
            case "ping" -> "iputils-ping";
            case "taskset" -> "util-linux";
            case "ss" -> "iproute2";
            default -> command;
        };
    }

    // ---- command line ---------------------------------------------------------------------------

    /**
     * Holds a topology for a shell script until SIGTERM (or {@code quit} on standard input):
     *
     * <pre>
     * java -cp CLASSES dev.portico.testing.netem.NetnsTopology --link a b SPEC_AB SPEC_BA [--link ...]
     *     [--emulator-cpu N] [--slots N] [--stats FILE] --env FILE
     * </pre>
     *
     * Once it is up it writes FILE as shell assignments: {@code NS_R}, {@code NS_<HOST>} for every
     * host, and for link i {@code LINK<i>_X_ADDR}, {@code LINK<i>_Y_ADDR} (IPv4),
     * {@code LINK<i>_X_ADDR6}, {@code LINK<i>_Y_ADDR6}, {@code LINK<i>_FORWARD},
     * {@code LINK<i>_BACKWARD}, and {@code EMULATOR_PID}. Lines on standard input are passed to
     * the emulator ({@code stats}, {@code set DIRECTION SPEC}) and its answers printed.
     */
    public static void main(String[] args) throws Exception {
        Builder b = builder();
        Path env = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--link" -> {
                        if (i + 4 >= args.length) {
                            throw new IllegalArgumentException("--link needs HOST HOST SPEC SPEC");
                        }
                        b.link(args[i + 1], args[i + 2], LinkSpec.parse(args[i + 3]), LinkSpec.parse(args[i + 4]));
                        i += 4;
                    }
                    case "--emulator-cpu" -> b.emulatorCpu(Integer.parseInt(args[++i]));
                    case "--slots" -> b.slots(Integer.parseInt(args[++i]));
                    case "--stats" -> b.statsFile(Path.of(args[++i]).toAbsolutePath());
                    case "--env" -> env = Path.of(args[++i]);
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (env == null) {
                throw new IllegalArgumentException("--env FILE is required");
            }
        } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
            System.err.println("netns: " + (e instanceof ArrayIndexOutOfBoundsException ? "an option lacks its value" : e.getMessage()));
            System.exit(2);
            return;
        }
        NetnsTopology t;
        try {
            t = b.start();
        } catch (IOException e) {
            System.err.println("netns: " + e.getMessage());
            System.exit(1);
            return;
        }
        StringBuilder s = new StringBuilder("NS_R=" + t.bridgeNamespace() + "\n");
        for (Host h : t.hosts.values()) {
            s.append("NS_").append(h.name().toUpperCase(Locale.ROOT)).append('=').append(h.namespace()).append('\n');
        }
        for (Link l : t.links) {
            String p = "LINK" + l.index() + "_";
            s.append(p).append("X_ADDR=").append(l.xAddress()).append('\n')
                    .append(p).append("Y_ADDR=").append(l.yAddress()).append('\n')
                    .append(p).append("X_ADDR6=").append(l.xAddress6()).append('\n')
                    .append(p).append("Y_ADDR6=").append(l.yAddress6()).append('\n')
                    .append(p).append("FORWARD=").append(l.forward()).append('\n')
                    .append(p).append("BACKWARD=").append(l.backward()).append('\n');
        }
        s.append("EMULATOR_PID=").append(t.emulator.pid()).append('\n');
        Path tmp = env.resolveSibling(env.getFileName() + ".tmp");
        Files.writeString(tmp, s.toString());
        Files.move(tmp, env, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                line = line.strip();
                if (line.equals("quit")) {
                    break;
                }
                try {
                    if (line.equals("stats")) {
                        Stats st = t.stats();
                        System.out.println("stats time_ns=" + st.timeNanos());
                        st.directions().values().forEach(System.out::println);
                    } else if (line.startsWith("set ")) {
                        String[] w = line.split("\\s+", 3);
                        t.set(w[1], LinkSpec.parse(w.length > 2 ? w[2] : ""));
                        System.out.println("ok");
                    } else if (!line.isEmpty()) {
                        System.out.println("error unknown command (stats, set, quit)");
                    }
                } catch (IllegalArgumentException | IOException e) {
                    System.out.println("error " + e.getMessage());
                }
            }
            if (line == null) {
                // Standard input ended (a script's background job): hold until SIGTERM.
                Thread.currentThread().join();
            }
        }
        t.close();
    }
}
