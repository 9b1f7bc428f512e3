package dev.portico.testing.fuzz;

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
public final class ShallowStack implements AutoCloseable {

    /** The body of one input. */
    @FunctionalInterface
    public interface Body {
        /**
         * Checks one input.
         *
         * @throws Exception when the input shows a defect
         */
        void run() throws Exception;
    }

    private final ExecutorService loop = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fuzz-input");
        t.setDaemon(true);
        return t;
    });

    /**
     * Runs {@code body} on the shallow thread and waits for it.
     *
     * @param body the check of one input
     * @throws Exception what the body threw
     */
    public void run(Body body) throws Exception {
        Future<?> done = loop.submit(() -> {
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

    /** Stops the thread. */
    @Override
    public void close() {
        loop.shutdown();
    }
}
