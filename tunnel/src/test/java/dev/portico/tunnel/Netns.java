package dev.portico.tunnel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two network namespaces joined by a veth pair, for tests that run tunnels between them: A is
 * {@value #A_ADDRESS}/24 and B is {@value #B_ADDRESS}/24 on the veth, both with loopback up.
 * The addresses exist only inside the namespaces, so nothing leaves them. Names are unique per
 * process and call; {@link #close} deletes both namespaces (and with them the veth pair and every
 * device in them). Needs root, {@code /dev/net/tun} and {@code ip netns}: {@link #missing} says
 * which is absent.
 */
public final class Netns implements AutoCloseable {

    public static final String A_ADDRESS = "172.31.250.1";
    public static final String B_ADDRESS = "172.31.250.2";
    /** A's address towards C, once {@link #addC} made it. */
    public static final String A_TO_C_ADDRESS = "172.31.251.1";
    public static final String C_ADDRESS = "172.31.251.2";
    private static final AtomicInteger NEXT = new AtomicInteger();
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

    private final String a;
    private final String b;
    private final String id;
    private String c;
    private final List<Process> started = new ArrayList<>();

    private Netns(String a, String b, String id) {
        this.a = a;
        this.b = b;
        this.id = id;
    }

    /** What these tests need and this machine lacks, or null when it has everything. */
    public static String missing() {
        try {
            String status = Files.readString(Path.of("/proc/self/status"), StandardCharsets.US_ASCII);
            String uid = status.lines().filter(l -> l.startsWith("Uid:")).findFirst().orElse("Uid: ?").split("\\s+")[1];
            if (!uid.equals("0")) {
                return "root (these tests run as uid " + uid + ")";
            }
        } catch (IOException e) {
            return "/proc/self/status (not Linux?)";
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            return "/dev/net/tun";
        }
        String probe = "ptprobe" + ProcessHandle.current().pid() % 100000;
        try {
            Result add = run("ip", "netns", "add", probe);
            if (add.status() != 0) {
                return "network namespaces (ip netns add: " + add.output().strip() + ")";
            }
            run("ip", "netns", "del", probe);
        } catch (IOException e) {
            return "the ip command (" + e.getMessage() + ")";
        }
        return null;
    }

    /** Makes the pair; deletes what it made when a step fails. */
    public static Netns create() throws IOException {
        int n = NEXT.incrementAndGet();
        String id = Long.toString(ProcessHandle.current().pid() % 100000) + "x" + n;
        Netns ns = new Netns("pta" + id, "ptb" + id, id);
        String va = "va" + id;
        String vb = "vb" + id;
        try {
            ns.check("ip", "netns", "add", ns.a);
            ns.check("ip", "netns", "add", ns.b);
            ns.check("ip", "link", "add", va, "type", "veth", "peer", "name", vb);
            ns.check("ip", "link", "set", va, "netns", ns.a);
            ns.check("ip", "link", "set", vb, "netns", ns.b);
            ns.check("ip", "-n", ns.a, "addr", "add", A_ADDRESS + "/24", "dev", va);
            ns.check("ip", "-n", ns.b, "addr", "add", B_ADDRESS + "/24", "dev", vb);
            for (String[] x : new String[][] {{ns.a, va}, {ns.b, vb}}) {
                ns.check("ip", "-n", x[0], "link", "set", x[1], "up");
                ns.check("ip", "-n", x[0], "link", "set", "lo", "up");
            }
        } catch (IOException | RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    /**
     * Adds a third namespace C, joined to A by its own veth pair: A is {@value #A_TO_C_ADDRESS}/24
     * on it, C {@value #C_ADDRESS}/24. {@link #close} deletes it too.
     */
    public String addC() throws IOException {
        c = "ptc" + id;
        String va = "wa" + id;
        String vc = "wc" + id;
        check("ip", "netns", "add", c);
        check("ip", "link", "add", va, "type", "veth", "peer", "name", vc);
        check("ip", "link", "set", va, "netns", a);
        check("ip", "link", "set", vc, "netns", c);
        check("ip", "-n", a, "addr", "add", A_TO_C_ADDRESS + "/24", "dev", va);
        check("ip", "-n", c, "addr", "add", C_ADDRESS + "/24", "dev", vc);
        check("ip", "-n", a, "link", "set", va, "up");
        check("ip", "-n", c, "link", "set", vc, "up");
        check("ip", "-n", c, "link", "set", "lo", "up");
        return c;
    }

    public String a() {
        return a;
    }

    public String b() {
        return b;
    }

    /** A command's exit status and its output (stdout and stderr together). */
    public record Result(int status, String output) {
    }

    /** Runs a command inside a namespace and waits for it. */
    public Result exec(String ns, String... command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return run(cmd.toArray(String[]::new));
    }

    /** Starts a command inside a namespace, its output to {@code log}; {@link #close} stops it. */
    public Process start(String ns, Path log, List<String> command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(command);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(p);
        return p;
    }

    /** Whether a device exists in a namespace. */
    public boolean hasDevice(String ns, String device) throws IOException {
        return run("ip", "-n", ns, "link", "show", "dev", device).status() == 0;
    }

    /** Kills a process started here and waits for it to end. */
    public static void kill(Process p) {
        p.destroyForcibly();
        try {
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void check(String... command) throws IOException {
        Result r = run(command);
        if (r.status() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + r.output().strip());
        }
    }

    static Result run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        try {
            if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": no answer within " + COMMAND_TIMEOUT.toSeconds() + "s");
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Stops the processes started here, then deletes both namespaces. */
    @Override
    public void close() {
        for (Process p : started) {
            kill(p);
        }
        for (String ns : c == null ? List.of(a, b) : List.of(a, b, c)) {
            try {
                run("ip", "netns", "del", ns);
            } catch (IOException e) {
                // nothing more to do: a namespace that was never made
            }
        }
    }
}
