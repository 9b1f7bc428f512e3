package dev.portico.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;

/**
 * {@link TestMain} (or {@link Main}) in its own JVM, so that real signals can be sent to it. Its stdout and stderr
 * go to files that are read back line by line (pipes can lose the last lines at exit).
 */
final class PorticoProcess implements AutoCloseable {

    private final Process process;
    private final Path outFile;
    private final Path errFile;

    private PorticoProcess(Process process, Path outFile, Path errFile) {
        this.process = process;
        this.outFile = outFile;
        this.errFile = errFile;
    }

    /** Starts the process; its stdout and stderr go to files in {@code dir}. */
    static PorticoProcess start(Path dir, String... args) throws IOException {
        return start(dir, List.of(), Map.of(), testClassPath(), args);
    }

    /**
     * Starts {@link Main}, the real entry point with every service type of the build (filestore,
     * proxy, lb...), instead of {@link TestMain}.
     */
    static PorticoProcess startBuilt(Path dir, String... args) throws IOException {
        return start(dir, List.of(), List.of(), Map.of(), testClassPath(), Main.class, args);
    }

    /** Starts the process with more environment variables and the given class path. */
    static PorticoProcess start(Path dir, Map<String, String> env, String classpath, String... args) throws IOException {
        return start(dir, List.of(), env, classpath, args);
    }

    /** Starts the process with more JVM flags (after the usual ones). */
    static PorticoProcess startWithJvmFlags(Path dir, List<String> jvmFlags, String... args) throws IOException {
        return start(dir, List.of(), jvmFlags, Map.of(), testClassPath(), TestMain.class, args);
    }

    /** The class path of the tests, which {@link #start(Path, String...)} uses. */
    static String testClassPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    /**
     * Starts the process with a descriptor limit of {@code nofile} (soft and hard), through
     * {@code prlimit(1)}; check {@link #canLimit()} first.
     */
    static PorticoProcess startLimited(Path dir, int nofile, String... args) throws IOException {
        return start(dir, List.of(PRLIMIT.toString(), "--nofile=" + nofile + ":" + nofile), Map.of(), testClassPath(), args);
    }

    /** Starts {@code portico ARGS} behind {@code prefix}, a command that runs it (nohup, prlimit...). */
    static PorticoProcess startUnder(Path dir, List<String> prefix, String... args) throws IOException {
        return start(dir, prefix, Map.of(), testClassPath(), args);
    }

    private static final Path PRLIMIT = Path.of("/usr/bin/prlimit");

    /** Whether {@link #startLimited} can run here (Linux with util-linux). */
    static boolean canLimit() {
        return Files.isExecutable(PRLIMIT) && Files.isDirectory(Path.of("/proc/self/fd"));
    }

    /** The descriptors the process has open now. */
    long pid() {
        return process.pid();
    }

    int openDescriptors() throws IOException {
        try (var fds = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
            return (int) fds.count();
        }
    }

    private static PorticoProcess start(Path dir, List<String> prefix, Map<String, String> env, String classpath,
                                        String... args) throws IOException {
        return start(dir, prefix, List.of(), env, classpath, TestMain.class, args);
    }

    private static PorticoProcess start(Path dir, List<String> prefix, List<String> jvmFlags, Map<String, String> env,
                                        String classpath, Class<?> main, String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-XX:TieredStopAtLevel=1", "-Xmx128m",
                // The logging set-up of the real build (logs on stderr, LogbackSetup), not the tests' one.
                "-Dportico.logback=builtin"));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", classpath, main.getName()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "stdout-", ".txt");
        Path err = Files.createTempFile(dir, "stderr-", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        return new PorticoProcess(p, out, err);
    }

    private List<String> out() {
        return lines(outFile);
    }

    private List<String> errLinesNow() {
        return lines(errFile);
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until stdout has a line containing {@code text}. */
    void awaitOut(String text) {
        await().atMost(Duration.ofSeconds(30)).until(() -> has(out(), text) || !process.isAlive());
        if (!has(out(), text)) {
            throw new AssertionError("no '" + text + "' on stdout; process exited\n" + this);
        }
    }

    /** Waits until stderr has a line containing {@code text}, counting from line {@code from}. */
    void awaitErr(String text, int from) {
        await().atMost(Duration.ofSeconds(30)).until(() -> errLinesNow().stream().skip(from).anyMatch(l -> l.contains(text))
                || !process.isAlive());
        if (errLinesNow().stream().skip(from).noneMatch(l -> l.contains(text))) {
            throw new AssertionError("no '" + text + "' on stderr\n" + this);
        }
    }

    private static boolean has(List<String> lines, String text) {
        return lines.stream().anyMatch(l -> l.contains(text));
    }

    int errLines() {
        return errLinesNow().size();
    }

    List<String> err() {
        return errLinesNow();
    }

    /** The first capture group of {@code regex} in any stdout or stderr line. */
    Optional<String> find(String regex) {
        Pattern p = Pattern.compile(regex);
        for (List<String> lines : List.of(out(), errLinesNow())) {
            for (String l : lines) {
                Matcher m = p.matcher(l);
                if (m.find()) {
                    return Optional.of(m.group(1));
                }
            }
        }
        return Optional.empty();
    }

    /** The port in the banner line of a service. */
    int servicePort(String name) {
        return Integer.parseInt(find("^  service " + Pattern.quote(name) + " \\(.*\\): tcp://127\\.0\\.0\\.1:(\\d+)")
                .orElseThrow(() -> new AssertionError("no banner line for " + name + "\n" + this)));
    }

    String adminUrl() {
        return find("^  admin: (http://\\S+)/metrics").orElseThrow(() -> new AssertionError("no admin line\n" + this));
    }

    void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new AssertionError("kill -" + name + " failed");
        }
    }

    /** Waits for the process to exit on its own and returns its status. */
    int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("still running after " + timeout + "\n" + this);
        }
        return process.exitValue();
    }

    /** Sends SIGTERM and waits for the exit status. */
    int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("still running " + timeout + " after SIGTERM\n" + this);
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }

    @Override
    public String toString() {
        return "--- stdout\n" + String.join("\n", out()) + "\n--- stderr\n" + String.join("\n", errLinesNow());
    }
}
