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
 * <p>A SIGHUP ignored from the start ({@code nohup portico serve &}) is put back to its default
 * first, since the JVM silently leaves an ignored signal alone: without that, a daemon started
 * under nohup would never reload. The ignoring is there to survive a closed terminal, which a
 * reload does.
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
            if (previous == sun.misc.SignalHandler.SIG_IGN && name.equals("HUP")) {
                // The JVM did not install the handler: the signal was ignored when it started.
                if (!SignalDisposition.reset(signal.getNumber())) {
                    log.warn("SIGHUP is ignored (started under nohup?) and cannot be reset: it will not reload");
                    return false;
                }
                Signal.handle(signal, handler);
                log.debug("SIGHUP was ignored when Portico started (nohup?); it reloads all the same");
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
