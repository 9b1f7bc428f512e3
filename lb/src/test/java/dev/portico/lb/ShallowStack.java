package dev.portico.lb;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs fuzz inputs on a thread of its own. Under paranoid leak detection every buffer access
 * records a stack trace, and the fuzzer's own stack (surefire, JUnit, Jazzer, libFuzzer) is a
 * hundred frames deep; on a fresh thread the traces are short and the target runs several times
 * faster. Failures are rethrown on the caller's thread, so the fuzzer sees them as the input's.
 */
final class ShallowStack {

    /** The body of one input. */
    @FunctionalInterface
    interface Body {
        void run() throws Exception;
    }

    private static final ExecutorService LOOP = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fuzz-input");
        t.setDaemon(true);
        return t;
    });

    private ShallowStack() {
    }

    static void run(Body body) throws Exception {
        Future<?> done = LOOP.submit(() -> {
            body.run();
            return null;
        });
        try {
            done.get();
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case Exception x -> throw x;
                case Error x -> throw x;
                default -> throw e;
            }
        }
    }

    static void stop() {
        LOOP.shutdown();
    }
}
