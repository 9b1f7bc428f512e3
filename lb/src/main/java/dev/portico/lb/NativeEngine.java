package dev.portico.lb;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The native engine's loops of one service: those still accepting and those finishing the
 * connections of a closed listener. The service waits for them on a graceful stop, then closes
 * what is left.
 */
final class NativeEngine {

    private final Set<NativeLoop> loops = ConcurrentHashMap.newKeySet();

    void add(NativeLoop loop) {
        loops.add(loop);
    }

    void remove(NativeLoop loop) {
        loops.remove(loop);
    }

    /** Connections open on every loop. */
    int open() {
        int n = 0;
        for (NativeLoop l : loops) {
            n += l.open();
        }
        return n;
    }

    /** Waits until no connection is open, or the time is up. */
    void awaitIdle(long millis) {
        long end = System.nanoTime() + millis * 1_000_000;
        while (open() > 0 && System.nanoTime() - end < 0) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Closes every connection and waits (up to 5 s) for the loops to end. */
    void closeAll() {
        List<NativeLoop> all = new ArrayList<>(loops);
        all.forEach(NativeLoop::closeAll);
        for (NativeLoop l : all) {
            try {
                l.awaitEnd(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
