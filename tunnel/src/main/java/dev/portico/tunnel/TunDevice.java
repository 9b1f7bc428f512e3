package dev.portico.tunnel;

import dev.portico.core.transport.LinuxNet;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A TUN device opened through {@code /dev/net/tun} with {@code ioctl(TUNSETIFF)}, flags
 * {@code IFF_TUN | IFF_NO_PI}: every read is one IP packet, every write puts one in. The
 * descriptor is non-blocking; {@link #await} waits for a packet with {@code poll}, so a reader
 * thread can notice a close within its timeout. The device disappears when the descriptor closes.
 *
 * <p>Called through the FFM API: {@code open}, {@code ioctl} (variadic, linked with
 * {@code firstVariadicArg(2)}) and {@code poll} here, {@code read}, {@code write} and
 * {@code close} from core's {@link LinuxNet}; {@code errno} comes from {@code captureCallState}.
 */
public final class TunDevice implements AutoCloseable {

    static final Path TUN = Path.of("/dev/net/tun");
    static final long TUNSETIFF = 0x400454caL;
    static final short IFF_TUN = 0x0001;
    static final short IFF_NO_PI = 0x1000;
    static final int O_RDWR = 2;
    static final int IFREQ_SIZE = 40;
    static final int IFR_FLAGS_OFFSET = 16;
    static final short POLLIN = 0x1;
    static final int EAGAIN = 11;
    static final int EINTR = 4;

    private static final long ERRNO_SIZE = Linker.Option.captureStateLayout().byteSize();
    private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
            .byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN;
    private static final MethodHandle IOCTL;
    private static final MethodHandle POLL;
    private static final MethodHandle STRERROR;
    private static final String UNAVAILABLE;

    static {
        MethodHandle[] h = null;
        String why = null;
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux")) {
            why = "TUN devices need Linux";
        } else if (!LinuxNet.available()) {
            why = "native access is not allowed (run with --enable-native-access=ALL-UNNAMED)";
        } else {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                ValueLayout i = ValueLayout.JAVA_INT;
                ValueLayout l = ValueLayout.JAVA_LONG;
                ValueLayout p = ValueLayout.ADDRESS;
                h = new MethodHandle[] {
                    linker.downcallHandle(libc.findOrThrow("open"), FunctionDescriptor.of(i, l, i), errno,
                            Linker.Option.firstVariadicArg(2)),
                    linker.downcallHandle(libc.findOrThrow("ioctl"), FunctionDescriptor.of(i, i, l, l), errno,
                            Linker.Option.firstVariadicArg(2)),
                    linker.downcallHandle(libc.findOrThrow("poll"), FunctionDescriptor.of(i, l, l, i), errno),
                    linker.downcallHandle(libc.findOrThrow("strerror"), FunctionDescriptor.of(p, i)),
                };
            } catch (RuntimeException | LinkageError e) {
                why = "cannot link open/ioctl/poll: " + e.getMessage();
            }
        }
        OPEN = h == null ? null : h[0];
        IOCTL = h == null ? null : h[1];
        POLL = h == null ? null : h[2];
        STRERROR = h == null ? null : h[3];
        UNAVAILABLE = why;
    }

    private final String name;
    private final int fd;
    private volatile boolean closed;

    private TunDevice(String name, int fd) {
        this.name = name;
        this.fd = fd;
    }

    /** Why TUN devices cannot be made in this process, or null when they can (root aside). */
    public static String unavailable() {
        if (UNAVAILABLE != null) {
            return UNAVAILABLE;
        }
        if (!Files.exists(TUN)) {
            return TUN + " does not exist";
        }
        return null;
    }

    /**
     * Creates (or attaches to) the TUN device {@code name}.
     *
     * @throws IOException with the kernel's reason when it cannot
     */
    public static TunDevice open(String name) throws IOException {
        String why = unavailable();
        if (why != null) {
            throw new IOException("cannot create device " + name + ": " + why);
        }
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length == 0 || bytes.length > SessionConfig.MAX_NAME_BYTES) {
            throw new IOException("device name '" + name + "' must be 1 to 15 bytes");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(ERRNO_SIZE);
            MemorySegment path = arena.allocateFrom(TUN.toString());
            int fd = (int) OPEN.invokeExact(errno, path.address(), O_RDWR | LinuxNet.O_NONBLOCK | LinuxNet.O_CLOEXEC);
            if (fd < 0) {
                throw new IOException("cannot open " + TUN + ": " + strerror(errno(errno)));
            }
            MemorySegment ifr = arena.allocate(IFREQ_SIZE, 8);
            MemorySegment.copy(bytes, 0, ifr, ValueLayout.JAVA_BYTE, 0, bytes.length);
            ifr.set(ValueLayout.JAVA_SHORT, IFR_FLAGS_OFFSET, (short) (IFF_TUN | IFF_NO_PI));
            int r = (int) IOCTL.invokeExact(errno, fd, TUNSETIFF, ifr.address());
            if (r < 0) {
                int err = errno(errno);
                LinuxNet.close(new LinuxNet.Errno(arena), fd);
                throw new IOException("cannot create device " + name + " (TUNSETIFF): " + strerror(err));
            }
            return new TunDevice(name, fd);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Wraps a descriptor that is already open and non-blocking, and that gives one packet a read
     * (a test's pipe); {@link #close} closes it.
     */
    static TunDevice adopt(String name, int fd) {
        return new TunDevice(name, fd);
    }

    public String name() {
        return name;
    }

    /** The descriptor, for an event loop to poll. */
    int fd() {
        return fd;
    }

    /**
     * Reads one packet into native memory.
     *
     * @return its length, 0 when none is waiting, or -errno on failure
     */
    public long read(LinuxNet.Errno errno, long address, long capacity) {
        long n = LinuxNet.read(errno, fd, address, capacity);
        if (n >= 0) {
            return n;
        }
        int e = errno.get();
        return e == EAGAIN || e == EINTR ? 0 : -e;
    }

    /**
     * Writes one packet from native memory.
     *
     * @return true when the kernel took it
     */
    public boolean write(LinuxNet.Errno errno, long address, int length) {
        return !closed && LinuxNet.write(errno, fd, address, length) == length;
    }

    /**
     * Waits up to {@code millis} for a packet to read, with {@code pollfd} (8 bytes) as scratch.
     *
     * @return true when one is waiting
     */
    public boolean await(MemorySegment pollfd, MemorySegment errno, int millis) {
        pollfd.set(ValueLayout.JAVA_INT, 0, fd);
        pollfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
        pollfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
        try {
            int r = (int) POLL.invokeExact(errno, pollfd.address(), 1L, millis);
            return r > 0;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A segment for {@link #await}'s errno. */
    static MemorySegment errnoSegment(Arena arena) {
        return arena.allocate(ERRNO_SIZE);
    }

    public boolean closed() {
        return closed;
    }

    /** Closes the descriptor; the kernel removes the device with its addresses and routes. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Arena arena = Arena.ofConfined()) {
            LinuxNet.close(new LinuxNet.Errno(arena), fd);
        }
    }

    private static int errno(MemorySegment state) {
        return state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
    }

    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
