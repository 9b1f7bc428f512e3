package dev.portico.server.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A Unix datagram socket the test binds, standing in for systemd's notification socket: made with
 * {@code socket(2)} and {@code bind(2)} through FFM, read with {@code recv(2)} under a receive
 * timeout ({@code SO_RCVTIMEO}).
 */
public final class NotifyListener implements AutoCloseable {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final MethodHandle SOCKET = handle("socket", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle BIND = handle("bind", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle SETSOCKOPT = handle("setsockopt", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle RECV = handle("recv", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT));

    private final int fd;
    private final String name;

    private NotifyListener(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    private static MethodHandle handle(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LIBC.findOrThrow(name), d);
    }

    /**
     * Binds {@code name}: a path, or an abstract name starting with {@code @}; each receive waits
     * at most {@code timeout}.
     */
    public static NotifyListener bind(String name, Duration timeout) throws Throwable {
        int fd = (int) SOCKET.invokeExact(1, 2 | 0x80000, 0);
        if (fd < 0) {
            throw new IOException("socket failed");
        }
        try (Arena arena = Arena.ofConfined()) {
            byte[] path = name.getBytes(StandardCharsets.UTF_8);
            MemorySegment addr = arena.allocate(110, 2);
            addr.set(ValueLayout.JAVA_SHORT, 0, (short) 1);
            MemorySegment.copy(path, 0, addr, ValueLayout.JAVA_BYTE, 2, path.length);
            boolean abstractName = path[0] == '@';
            if (abstractName) {
                addr.set(ValueLayout.JAVA_BYTE, 2, (byte) 0);
            }
            int r = (int) BIND.invokeExact(fd, addr, 2 + path.length + (abstractName ? 0 : 1));
            MemorySegment tv = arena.allocate(16, 8);
            tv.set(ValueLayout.JAVA_LONG, 0, timeout.toSeconds());
            tv.set(ValueLayout.JAVA_LONG, 8, timeout.toMillisPart() * 1000L);
            // SOL_SOCKET = 1, SO_RCVTIMEO = 20
            int t = (int) SETSOCKOPT.invokeExact(fd, 1, 20, tv, 16);
            if (r != 0 || t != 0) {
                int ignored = (int) CLOSE.invokeExact(fd);
                throw new IOException("cannot bind " + name);
            }
        }
        return new NotifyListener(fd, name);
    }

    /** The next datagram as text, or null when none came within the timeout. */
    public String receive() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096);
            long n = (long) RECV.invokeExact(fd, buf, 4096L, 0);
            return n < 0 ? null : new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }

    /** The next datagram that holds {@code line} as one of its lines, skipping others; null on timeout. */
    public String receiveLine(String line) throws Throwable {
        for (String m = receive(); m != null; m = receive()) {
            if (m.lines().anyMatch(line::equals)) {
                return m;
            }
        }
        return null;
    }

    public String name() {
        return name;
    }

    @Override
    public void close() throws Exception {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new Exception(t);
        }
    }
}
