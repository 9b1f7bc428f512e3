package dev.portico.server.os;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Puts a signal back to its default disposition with {@code signal(2)}, called through the
 * Foreign Function and Memory API. The JVM refuses to install a handler for a signal that was
 * ignored when the process started ({@code nohup} ignores SIGHUP), so a daemon started that way
 * would never see its reload signal; resetting it first lets the handler in.
 */
public final class SignalDisposition {

    /** {@code SIG_DFL}, the null handler. */
    private static final MemorySegment SIG_DFL = MemorySegment.NULL;
    /** {@code SIG_ERR}, what {@code signal(2)} returns on failure. */
    private static final long SIG_ERR = -1L;

    private SignalDisposition() {
    }

    /** Linked on first use only: a start that needs no reset spends nothing on it. */
    private static final class Call {
        static final MethodHandle SIGNAL = Linker.nativeLinker().downcallHandle(
                Linker.nativeLinker().defaultLookup().find("signal").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    }

    /**
     * Sets signal {@code number} to its default action.
     *
     * @return false when libc refused (an invalid number), or native calls are not allowed
     */
    public static boolean reset(int number) {
        try {
            MemorySegment previous = (MemorySegment) Call.SIGNAL.invokeExact(number, SIG_DFL);
            return previous.address() != SIG_ERR;
        } catch (Throwable e) {
            return false;
        }
    }
}
