package dev.portico.server;

import dev.portico.server.os.SignalDisposition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.util.ArrayList;
import java.util.List;

/**
 * Unix signal handling through {@code sun.misc.Signal} (still supported on JDK 25): HUP reloads,
 * TERM and INT stop. Handlers run on a JVM signal thread and must only hand work off.
 *
 * <p>A signal ignored from the start is put back to its default first, since the JVM silently
 * leaves an ignored signal alone: a daemon started under {@code nohup} (SIGHUP ignored) would never
 * reload, and one started in the background of a script ({@code portico serve &}, where the shell
 * ignores SIGINT for it) would not stop on {@code kill -INT}. As nginx does, a signal sent to the
 * daemon on purpose is acted on however it was started; the ignoring is there to survive a closed
 * terminal or a Ctrl-C meant for the foreground job, which never reach a daemon this way.
 */
final class Signals implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    private final List<Installed> installed = new ArrayList<>();

    private record Installed(Signal signal, sun.misc.SignalHandler previous) {
    }

    /** Installs {@code action} for a signal such as "HUP"; returns false where the JVM refuses it. */
    boolean on(String name, Runnable action) {
        try {
            Signal signal = new Signal(name);
            sun.misc.SignalHandler handler = s -> action.run();
            sun.misc.SignalHandler previous = Signal.handle(signal, handler);
            if (previous == sun.misc.SignalHandler.SIG_IGN) {
                // The JVM did not install the handler: the signal was ignored when it started.
                if (!SignalDisposition.reset(signal.getNumber())) {
                    log.warn("SIG{} is ignored (started under nohup or in a script's background?) and cannot be"
                            + " reset: Portico will not act on it", name);
                    return false;
                }
                Signal.handle(signal, handler);
                log.debug("SIG{} was ignored when Portico started (nohup, a script's background); it is handled"
                        + " all the same", name);
            }
            installed.add(new Installed(signal, previous));
            return true;
        } catch (IllegalArgumentException e) {
            log.warn("cannot handle SIG{}: {}", name, e.getMessage());
            return false;
        }
    }

    /** Puts the previous handlers back. */
    @Override
    public void close() {
        for (Installed i : installed.reversed()) {
            try {
                Signal.handle(i.signal(), i.previous());
            } catch (IllegalArgumentException e) {
                log.debug("cannot restore SIG{}", i.signal().getName(), e);
            }
        }
        installed.clear();
    }
}
