package dev.portico.testing.netem;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A raw {@code AF_PACKET} socket bound to one network device, called through the Foreign Function
 * and Memory API: it receives every frame that arrives on the device (whatever its destination
 * MAC) and sends whole Ethernet frames out of it, past the device's qdisc. Frames the socket
 * itself sent are not received back. Receives wait at most 200 ms, so that a thread can notice it
 * was asked to stop. One thread receives and one sends on a socket; each keeps its own
 * {@link Errno}. JDK only, so that the emulator runs from its classes alone.
 */
final class PacketSocket implements AutoCloseable {

    static final int AF_PACKET = 17;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    /** {@code htons(ETH_P_ALL)}: every protocol. */
    static final short ETH_P_ALL_BE = 0x0300;
    static final int SOL_SOCKET = 1;
    static final int SO_SNDBUFFORCE = 32;
    static final int SO_RCVBUFFORCE = 33;
    static final int SO_RCVTIMEO = 20;
    static final int SOL_PACKET = 263;
    static final int PACKET_QDISC_BYPASS = 20;
    static final int PACKET_IGNORE_OUTGOING = 23;
    static final int PACKET_OUTGOING = 4;
    static final int SOCKADDR_LL_SIZE = 20;
    static final int EINTR = 4;
    static final int EAGAIN = 11;

    private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
            .byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final long ERRNO_SIZE = Linker.Option.captureStateLayout().byteSize();

    private static final MethodHandle SOCKET;
    private static final MethodHandle SETSOCKOPT;
    private static final MethodHandle BIND;
    private static final MethodHandle RECVFROM;
    private static final MethodHandle SEND;
    private static final MethodHandle CLOSE;
    private static final MethodHandle IF_NAMETOINDEX;
    private static final MethodHandle STRERROR;

    static {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        Linker.Option errno = Linker.Option.captureCallState("errno");
        ValueLayout i = ValueLayout.JAVA_INT;
        ValueLayout l = ValueLayout.JAVA_LONG;
        ValueLayout p = ValueLayout.ADDRESS;
        SOCKET = linker.downcallHandle(libc.findOrThrow("socket"), FunctionDescriptor.of(i, i, i, i), errno);
        SETSOCKOPT = linker.downcallHandle(libc.findOrThrow("setsockopt"), FunctionDescriptor.of(i, i, i, i, l, i), errno);
        BIND = linker.downcallHandle(libc.findOrThrow("bind"), FunctionDescriptor.of(i, i, l, i), errno);
        // recvfrom waits (up to SO_RCVTIMEO), so it is not linked as critical.
        RECVFROM = linker.downcallHandle(libc.findOrThrow("recvfrom"), FunctionDescriptor.of(l, i, l, l, i, l, l), errno);
        SEND = linker.downcallHandle(libc.findOrThrow("send"), FunctionDescriptor.of(l, i, l, l, i), errno);
        CLOSE = linker.downcallHandle(libc.findOrThrow("close"), FunctionDescriptor.of(i, i), errno);
        IF_NAMETOINDEX = linker.downcallHandle(libc.findOrThrow("if_nametoindex"), FunctionDescriptor.of(i, p), errno);
        STRERROR = linker.downcallHandle(libc.findOrThrow("strerror"), FunctionDescriptor.of(p, i));
    }

    /** Where one thread's calls leave errno, plus a {@code sockaddr_ll} and its length for recvfrom. */
    static final class Errno {
        private final MemorySegment state;
        private final MemorySegment from;
        private final MemorySegment fromLength;

        Errno(Arena arena) {
            this.state = arena.allocate(ERRNO_SIZE);
            this.from = arena.allocate(SOCKADDR_LL_SIZE, 8);
            this.fromLength = arena.allocate(4, 4);
        }

        int get() {
            return state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
        }
    }

    private final String device;
    private final int fd;
    private volatile boolean closed;

    private PacketSocket(String device, int fd) {
        this.device = device;
        this.fd = fd;
    }

    /** Opens a packet socket on {@code device} (in the calling process's network namespace). */
    static PacketSocket open(String device) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Errno e = new Errno(arena);
            int index = (int) IF_NAMETOINDEX.invokeExact(e.state, arena.allocateFrom(device));
            if (index == 0) {
                throw error("no network device " + device, e.get());
            }
            int fd = (int) SOCKET.invokeExact(e.state, AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, (int) ETH_P_ALL_BE);
            if (fd < 0) {
                throw error("socket(AF_PACKET) for " + device, e.get());
            }
            PacketSocket s = new PacketSocket(device, fd);
            try {
                MemorySegment ll = arena.allocate(SOCKADDR_LL_SIZE, 8);
                ll.set(ValueLayout.JAVA_SHORT, 0, (short) AF_PACKET);
                ll.set(ValueLayout.JAVA_SHORT, 2, ETH_P_ALL_BE);
                ll.set(ValueLayout.JAVA_INT, 4, index);
                int r = (int) BIND.invokeExact(e.state, fd, ll.address(), SOCKADDR_LL_SIZE);
                if (r < 0) {
                    throw error("bind to " + device, e.get());
                }
                s.setInt(arena, e, SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20, true);
                s.setInt(arena, e, SOL_SOCKET, SO_SNDBUFFORCE, 8 << 20, true);
                // Optional: older kernels lack them, and recv() then filters outgoing frames itself.
                s.setInt(arena, e, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, false);
                s.setInt(arena, e, SOL_PACKET, PACKET_QDISC_BYPASS, 1, false);
                MemorySegment tv = arena.allocate(16, 8);
                tv.set(ValueLayout.JAVA_LONG, 0, 0);
                tv.set(ValueLayout.JAVA_LONG, 8, 200_000);
                r = (int) SETSOCKOPT.invokeExact(e.state, fd, SOL_SOCKET, SO_RCVTIMEO, tv.address(), 16);
                if (r < 0) {
                    throw error("SO_RCVTIMEO on " + device, e.get());
                }
                return s;
            } catch (IOException | RuntimeException ex) {
                s.close();
                throw ex;
            }
        } catch (IOException | RuntimeException | Error ex) {
            throw ex;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }

    private void setInt(Arena arena, Errno e, int level, int name, int value, boolean required) throws Throwable {
        MemorySegment v = arena.allocate(4, 4);
        v.set(ValueLayout.JAVA_INT, 0, value);
        int r = (int) SETSOCKOPT.invokeExact(e.state, fd, level, name, v.address(), 4);
        if (r < 0 && required) {
            throw error("setsockopt(" + level + ", " + name + ") on " + device, e.get());
        }
    }

    String device() {
        return device;
    }

    /**
     * Receives one frame into {@code address}.
     *
     * @return its length; 0 when the wait timed out, was interrupted or the frame was one this host
     *         sent; -errno on failure
     */
    long receive(Errno e, long address, long capacity) {
        try {
            e.fromLength.set(ValueLayout.JAVA_INT, 0, SOCKADDR_LL_SIZE);
            long n = (long) RECVFROM.invokeExact(e.state, fd, address, capacity, 0, e.from.address(), e.fromLength.address());
            if (n < 0) {
                int code = e.get();
                return code == EAGAIN || code == EINTR ? 0 : -code;
            }
            if (Byte.toUnsignedInt(e.from.get(ValueLayout.JAVA_BYTE, 10)) == PACKET_OUTGOING) {
                return 0;
            }
            return n;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }

    /** Sends one frame; its length, or -errno. */
    long send(Errno e, long address, long length) {
        try {
            long n = (long) SEND.invokeExact(e.state, fd, address, length, 0);
            return n < 0 ? -e.get() : n;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) CLOSE.invokeExact(new Errno(arena).state, fd);
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }

    static String message(int code) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(code);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "error " + code;
        }
    }

    static IOException error(String what, int code) {
        return new IOException(what + ": " + message(code) + " (errno " + code + ")");
    }
}
