package dev.portico.core.limits;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The process's limit on open file descriptors ({@code RLIMIT_NOFILE}), read and raised through
 * {@code getrlimit(2)} and {@code setrlimit(2)} called with the Foreign Function and Memory API,
 * and the number of descriptors open now (the entries of {@code /proc/self/fd}).
 *
 * <p>Linux on x86-64 and AArch64 only, like {@link dev.portico.core.transport.LinuxNet}; elsewhere,
 * or without native access, {@link #read()} gives {@link #unknown()} and {@link #raise()} does
 * nothing.
 *
 * @param soft the limit in force, which the kernel enforces; {@code -1} when unknown
 * @param hard the ceiling an unprivileged process may raise {@code soft} to; {@code -1} when unknown
 */
public record FileLimit(long soft, long hard) {

    /** {@code RLIMIT_NOFILE} on Linux (x86-64 and AArch64 alike). */
    private static final int RLIMIT_NOFILE = 7;
    /** {@code RLIM_INFINITY}: all bits set. */
    private static final long INFINITY = -1L;
    /** Above this the kernel refuses any descriptor limit (its {@code fs.nr_open} default). */
    private static final long NR_OPEN_DEFAULT = 1 << 20;

    /**
     * The {@code getrlimit} and {@code setrlimit} handles, linked on first use: linking through the
     * FFM API costs a start tens of milliseconds, and the JVM raises the soft limit to the hard one
     * itself ({@code -XX:+MaxFDLimit}, on by default), so the limit is usually read from
     * {@code /proc/self/limits} and nothing is linked.
     */
    private static final class Native {

        private static final MethodHandle GETRLIMIT;
        private static final MethodHandle SETRLIMIT;
        private static final long ERRNO_SIZE = Linker.Option.captureStateLayout().byteSize();
        private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
                .byteOffset(MemoryLayout.PathElement.groupElement("errno"));

        static {
            MethodHandle[] h = link();
            GETRLIMIT = h == null ? null : h[0];
            SETRLIMIT = h == null ? null : h[1];
        }

        private static MethodHandle[] link() {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
            if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
                return null;
            }
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                FunctionDescriptor call = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
                return new MethodHandle[] {
                    linker.downcallHandle(libc.findOrThrow("getrlimit"), call, errno),
                    linker.downcallHandle(libc.findOrThrow("setrlimit"), call, errno),
                };
            } catch (RuntimeException | LinkageError e) {
                // Native access refused (no --enable-native-access) or a libc without these calls.
                return null;
            }
        }
    }

    /** A limit that could not be read (not Linux, or no native access). */
    public static FileLimit unknown() {
        return new FileLimit(-1, -1);
    }

    /** True when the limit was read. */
    public boolean known() {
        return soft > 0;
    }

    /** The limit in force now, or {@link #unknown()}; an unlimited value reads as {@code fs.nr_open}. */
    public static FileLimit read() {
        long[] raw = getrlimit();
        return raw == null ? unknown() : new FileLimit(finite(raw[0]), finite(raw[1]));
    }

    /**
     * {@code {soft, hard}} as the kernel has them ({@link #INFINITY} for unlimited), or null when
     * they cannot be read: from {@code /proc/self/limits}, else through {@code getrlimit}.
     */
    private static long[] getrlimit() {
        long[] proc = procLimits(Path.of("/proc/self/limits"));
        return proc != null ? proc : nativeGetrlimit();
    }

    /** The "Max open files" line of a {@code /proc/PID/limits} file, or null. */
    static long[] procLimits(Path limits) {
        try {
            for (String line : Files.readAllLines(limits)) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                    return f.length < 2 ? null : new long[] {procValue(f[0]), procValue(f[1])};
                }
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static long procValue(String v) {
        return v.equals("unlimited") ? INFINITY : Long.parseLong(v);
    }

    static long[] nativeGetrlimit() {
        if (Native.GETRLIMIT == null) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(Native.ERRNO_SIZE);
            MemorySegment rlimit = arena.allocate(16, 8);
            int r = (int) Native.GETRLIMIT.invokeExact(errno, RLIMIT_NOFILE, rlimit);
            return r < 0 ? null : new long[] {rlimit.get(ValueLayout.JAVA_LONG, 0), rlimit.get(ValueLayout.JAVA_LONG, 8)};
        } catch (Throwable t) {
            return null;
        }
    }

    private static long finite(long value) {
        return value == INFINITY ? nrOpen() : value;
    }

    /** The kernel's ceiling for any descriptor limit. */
    private static long nrOpen() {
        try {
            return Long.parseLong(Files.readString(Path.of("/proc/sys/fs/nr_open")).strip());
        } catch (IOException | NumberFormatException e) {
            return NR_OPEN_DEFAULT;
        }
    }

    /**
     * Raises the soft limit to the hard one (to the kernel's {@code fs.nr_open} when the hard
     * limit is unlimited), which needs no privilege. Does nothing where the limit cannot be read.
     *
     * @return the limit in force afterwards
     * @throws IOException when the kernel refuses the new limit
     */
    public static FileLimit raise() throws IOException {
        long[] raw = getrlimit();
        if (raw == null || finite(raw[0]) >= finite(raw[1])) {
            return raw == null ? unknown() : new FileLimit(finite(raw[0]), finite(raw[1]));
        }
        long target = finite(raw[1]);
        if (Native.SETRLIMIT == null) {
            return new FileLimit(finite(raw[0]), finite(raw[1]));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(Native.ERRNO_SIZE);
            MemorySegment rlimit = arena.allocate(16, 8);
            rlimit.set(ValueLayout.JAVA_LONG, 0, target);
            rlimit.set(ValueLayout.JAVA_LONG, 8, raw[1]);
            int r = (int) Native.SETRLIMIT.invokeExact(errno, RLIMIT_NOFILE, rlimit);
            if (r < 0) {
                int code = errno.get(ValueLayout.JAVA_INT, Native.ERRNO_OFFSET);
                throw new IOException("setrlimit(RLIMIT_NOFILE, " + target + ") failed (errno " + code + ")");
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("setrlimit(RLIMIT_NOFILE) failed: " + t, t);
        }
        return read();
    }

    /**
     * The number of descriptors the process has open now, or -1 where that cannot be counted
     * (no {@code /proc}). When the listing itself cannot be opened, which is what running out of
     * descriptors does, {@link Integer#MAX_VALUE}: as many as the limit allows. Lists
     * {@code /proc/self/fd}: a few microseconds per hundred descriptors, so call it now and then,
     * never per connection.
     */
    public static int openDescriptors() {
        Path dir = Path.of("/proc/self/fd");
        if (!Files.isDirectory(dir)) {
            return -1;
        }
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(dir)) {
            int n = -1; // the stream's own descriptor is listed too
            for (Path ignored : fds) {
                n++;
            }
            return Math.max(n, 0);
        } catch (IOException | java.io.UncheckedIOException e) {
            return Integer.MAX_VALUE;
        }
    }

    @Override
    public String toString() {
        return known() ? soft + " (hard " + hard + ")" : "unknown";
    }
}
