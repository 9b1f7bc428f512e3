package dev.portico.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.util.ArrayList;
import java.util.List;

/**
 * Unix signal handling through {@code sun.misc.Signal} (still supported on JDK 25): HUP reloads,
 * TERM and INT stop. Handlers run on a JVM signal thread and must only hand work off.
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
            sun.misc.SignalHandler previous = Signal.handle(signal, s -> action.run());
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
