package dev.portico.server;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the CLI in-process with captured output. */
public final class CliRun {

    public final int status;
    public final String out;
    public final String err;

    private CliRun(int status, String out, String err) {
        this.status = status;
        this.out = out;
        this.err = err;
    }

    public static CliRun run(ServiceTypes types, String... args) {
        return run(types, d -> {
        }, args);
    }

    /** Runs with a hook that sees each started daemon (the test must make it stop). */
    public static CliRun run(ServiceTypes types, Consumer<Daemon> onStarted, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        int status = new Main(new Cli(types, o, e, new Logging(), false, onStarted)).run(args);
        return new CliRun(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** What a test does with a started daemon; it may throw. */
    @FunctionalInterface
    public interface DaemonCheck {
        void check(Daemon daemon) throws Exception;
    }

    /**
     * Runs the built-in CLI with {@code args} (such as {@code serve -c FILE}), hands the started
     * daemon to {@code check}, stops it, and fails the test when the check threw or the exit
     * status is not 0.
     */
    public static CliRun runChecked(DaemonCheck check, String... args) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CliRun r = run(Main.builtinTypes(), d -> {
            try {
                check.check(d);
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                d.requestStop();
            }
        }, args);
        assertThat(failure.get()).as(r.toString()).isNull();
        assertThat(r.status).as(r.toString()).isZero();
        return r;
    }

    @Override
    public String toString() {
        return "status " + status + "\n--- out\n" + out + "--- err\n" + err;
    }
}
