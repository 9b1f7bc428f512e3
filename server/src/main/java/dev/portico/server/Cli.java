package dev.portico.server;

import java.io.PrintStream;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What the commands get from {@link Main} instead of reaching for globals: the service types,
 * the output streams, the logging control, whether to install signal handlers, and a hook that
 * sees each {@link Daemon} once it has started (tests use it to stop or reload in-process).
 *
 * @param types     the service types this build knows
 * @param out       standard output: banners, converted configs, "OK" lines
 * @param err       standard error: problems and failures
 * @param logging   Logback control
 * @param signals   true to handle SIGHUP, SIGTERM and SIGINT
 * @param onStarted called with each daemon after it started
 */
public record Cli(ServiceTypes types, PrintStream out, PrintStream err, Logging logging, boolean signals,
                  Consumer<Daemon> onStarted) {

    /** Exit status for a config that cannot be used or a service that cannot start. */
    public static final int FAILED = 1;

    /** Exit status for a command line that cannot be parsed. */
    public static final int USAGE = 2;

    public Cli {
        Objects.requireNonNull(types, "types");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(err, "err");
        Objects.requireNonNull(logging, "logging");
        Objects.requireNonNull(onStarted, "onStarted");
    }
}
