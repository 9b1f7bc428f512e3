package dev.portico.core.transport;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * The Linux socket, epoll and splice calls a non-blocking TCP engine needs, called through the
 * Foreign Function and Memory API: one thin method per system call, returning what the call
 * returns (negative on failure) with the {@code errno} written to the caller's {@link Errno}.
 * Buffers are passed as native addresses, so nothing is allocated per call.
 *
 * <p>Linux on x86-64 and AArch64 only; check {@link #available()} first. The short calls are
 * linked as critical (no thread-state transition): they never block on non-blocking sockets.
 * {@link #epollWait} is linked normally, since it waits.
 */
public final class LinuxNet {

    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_ERROR = 4;
    public static final int SO_REUSEPORT = 15;
    public static final int IPPROTO_TCP = 6;
    public static final int TCP_NODELAY = 1;
    public static final int TCP_QUICKACK = 12;
    public static final int IPPROTO_IPV6 = 41;
    public static final int IPV6_V6ONLY = 26;
    public static final int MSG_PEEK = 0x2;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_MORE = 0x8000;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_MOD = 3;
    public static final int EPOLLIN = 0x1;
    public static final int EPOLLOUT = 0x4;
    public static final int EPOLLERR = 0x8;
    public static final int EPOLLHUP = 0x10;
    public static final int EPOLLRDHUP = 0x2000;
    public static final int EPOLLET = 1 << 31;
    public static final int SPLICE_F_MOVE = 1;
    public static final int SPLICE_F_NONBLOCK = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;

    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int EINPROGRESS = 115;

    /** Size of a {@code sockaddr_in6}, enough for either family. */
    public static final int SOCKADDR_SIZE = 28;

    private static final boolean X86 = isX86();
    /** {@code struct epoll_event} is packed on x86-64 (12 bytes), naturally aligned elsewhere (16). */
    public static final int EPOLL_EVENT_SIZE = X86 ? 12 : 16;
    private static final int EPOLL_DATA_OFFSET = X86 ? 4 : 8;

    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final long ERRNO_SIZE = Linker.Option.captureStateLayout().byteSize();
    private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
            .byteOffset(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle SOCKET;
    private static final MethodHandle SETSOCKOPT;
    private static final MethodHandle GETSOCKOPT;
    private static final MethodHandle BIND;
    private static final MethodHandle LISTEN;
    private static final MethodHandle ACCEPT4;
    private static final MethodHandle CONNECT;
    private static final MethodHandle GETSOCKNAME;
    private static final MethodHandle RECV;
    private static final MethodHandle SEND;
    private static final MethodHandle SHUTDOWN;
    private static final MethodHandle CLOSE;
    private static final MethodHandle EPOLL_CREATE1;
    private static final MethodHandle EPOLL_CTL;
    private static final MethodHandle EPOLL_WAIT;
    private static final MethodHandle EVENTFD;
    private static final MethodHandle READ;
    private static final MethodHandle WRITE;
    private static final MethodHandle PIPE2;
    private static final MethodHandle SPLICE;
    private static final MethodHandle MALLOC;
    private static final MethodHandle FREE;
    private static final MethodHandle STRERROR;
    private static final boolean AVAILABLE;

    static {
        MethodHandle[] h = link();
        AVAILABLE = h != null;
        int i = 0;
        SOCKET = h == null ? null : h[i++];
        SETSOCKOPT = h == null ? null : h[i++];
        GETSOCKOPT = h == null ? null : h[i++];
        BIND = h == null ? null : h[i++];
        LISTEN = h == null ? null : h[i++];
        ACCEPT4 = h == null ? null : h[i++];
        CONNECT = h == null ? null : h[i++];
        GETSOCKNAME = h == null ? null : h[i++];
        RECV = h == null ? null : h[i++];
        SEND = h == null ? null : h[i++];
        SHUTDOWN = h == null ? null : h[i++];
        CLOSE = h == null ? null : h[i++];
        EPOLL_CREATE1 = h == null ? null : h[i++];
        EPOLL_CTL = h == null ? null : h[i++];
        EPOLL_WAIT = h == null ? null : h[i++];
        EVENTFD = h == null ? null : h[i++];
        READ = h == null ? null : h[i++];
        WRITE = h == null ? null : h[i++];
        PIPE2 = h == null ? null : h[i++];
        SPLICE = h == null ? null : h[i++];
        MALLOC = h == null ? null : h[i++];
        FREE = h == null ? null : h[i++];
        STRERROR = h == null ? null : h[i];
    }

    private LinuxNet() {
    }

    private static boolean isX86() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return arch.equals("amd64") || arch.equals("x86_64");
    }

    private static MethodHandle[] link() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux") || !(X86 || arch.equals("aarch64"))) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            Linker.Option errno = Linker.Option.captureCallState("errno");
            Linker.Option quick = Linker.Option.critical(false);
            ValueLayout i = ValueLayout.JAVA_INT;
            ValueLayout l = ValueLayout.JAVA_LONG;
            ValueLayout p = ValueLayout.ADDRESS;
            return new MethodHandle[] {
                linker.downcallHandle(libc.findOrThrow("socket"), FunctionDescriptor.of(i, i, i, i), errno, quick),
                linker.downcallHandle(libc.findOrThrow("setsockopt"), FunctionDescriptor.of(i, i, i, i, l, i), errno, quick),
                linker.downcallHandle(libc.findOrThrow("getsockopt"), FunctionDescriptor.of(i, i, i, i, l, l), errno, quick),
                linker.downcallHandle(libc.findOrThrow("bind"), FunctionDescriptor.of(i, i, l, i), errno, quick),
                linker.downcallHandle(libc.findOrThrow("listen"), FunctionDescriptor.of(i, i, i), errno, quick),
                linker.downcallHandle(libc.findOrThrow("accept4"), FunctionDescriptor.of(i, i, l, l, i), errno, quick),
                linker.downcallHandle(libc.findOrThrow("connect"), FunctionDescriptor.of(i, i, l, i), errno, quick),
                linker.downcallHandle(libc.findOrThrow("getsockname"), FunctionDescriptor.of(i, i, l, l), errno, quick),
                linker.downcallHandle(libc.findOrThrow("recv"), FunctionDescriptor.of(l, i, l, l, i), errno, quick),
                linker.downcallHandle(libc.findOrThrow("send"), FunctionDescriptor.of(l, i, l, l, i), errno, quick),
                linker.downcallHandle(libc.findOrThrow("shutdown"), FunctionDescriptor.of(i, i, i), errno, quick),
                linker.downcallHandle(libc.findOrThrow("close"), FunctionDescriptor.of(i, i), errno, quick),
                linker.downcallHandle(libc.findOrThrow("epoll_create1"), FunctionDescriptor.of(i, i), errno, quick),
                linker.downcallHandle(libc.findOrThrow("epoll_ctl"), FunctionDescriptor.of(i, i, i, i, l), errno, quick),
                linker.downcallHandle(libc.findOrThrow("epoll_wait"), FunctionDescriptor.of(i, i, l, i, i), errno),
                linker.downcallHandle(libc.findOrThrow("eventfd"), FunctionDescriptor.of(i, i, i), errno, quick),
                linker.downcallHandle(libc.findOrThrow("read"), FunctionDescriptor.of(l, i, l, l), errno, quick),
                linker.downcallHandle(libc.findOrThrow("write"), FunctionDescriptor.of(l, i, l, l), errno, quick),
                linker.downcallHandle(libc.findOrThrow("pipe2"), FunctionDescriptor.of(i, l, i), errno, quick),
                linker.downcallHandle(libc.findOrThrow("splice"), FunctionDescriptor.of(l, i, l, i, l, l, i), errno, quick),
                linker.downcallHandle(libc.findOrThrow("malloc"), FunctionDescriptor.of(l, l), quick),
                linker.downcallHandle(libc.findOrThrow("free"), FunctionDescriptor.ofVoid(l), quick),
                linker.downcallHandle(libc.findOrThrow("strerror"), FunctionDescriptor.of(p, i)),
            };
        } catch (RuntimeException | LinkageError e) {
            // Native access refused (no --enable-native-access) or a libc without these calls.
            return null;
        }
    }

    /** Whether the calls are linked: Linux on x86-64 or AArch64, with native access allowed. */
    public static boolean available() {
        return AVAILABLE;
    }

    /**
     * Where one thread's calls leave their {@code errno}; one per thread, since a call writes it.
     * Also holds a few scratch words for socket options and address lengths.
     */
    public static final class Errno {
        private final MemorySegment state;
        private final MemorySegment scratch;

        /** Allocated in {@code arena}, which must outlive every call made with it. */
        public Errno(Arena arena) {
            this.state = arena.allocate(ERRNO_SIZE);
            this.scratch = arena.allocate(16, 8);
        }

        /** The {@code errno} of the last failed call made with this holder. */
        public int get() {
            return state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
        }
    }

    // ---- sockets --------------------------------------------------------------------------------

    public static int socket(Errno e, int family, int type) {
        try {
            return (int) SOCKET.invokeExact(e.state, family, type, 0);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** Sets an int-valued option. */
    public static int setInt(Errno e, int fd, int level, int name, int value) {
        try {
            e.scratch.set(ValueLayout.JAVA_INT, 0, value);
            return (int) SETSOCKOPT.invokeExact(e.state, fd, level, name, e.scratch.address(), 4);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** Reads an int-valued option; negative (with errno set) on failure. */
    public static int getInt(Errno e, int fd, int level, int name) {
        try {
            e.scratch.set(ValueLayout.JAVA_INT, 8, 4);
            int r = (int) GETSOCKOPT.invokeExact(e.state, fd, level, name, e.scratch.address(), e.scratch.address() + 8);
            return r < 0 ? r : e.scratch.get(ValueLayout.JAVA_INT, 0);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    public static int bind(Errno e, int fd, MemorySegment sockaddr, int length) {
        try {
            return (int) BIND.invokeExact(e.state, fd, sockaddr.address(), length);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    public static int listen(Errno e, int fd, int backlog) {
        try {
            return (int) LISTEN.invokeExact(e.state, fd, backlog);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /**
     * Accepts a connection as a non-blocking socket.
     *
     * @param sockaddr where the peer's address goes ({@link #SOCKADDR_SIZE} bytes), or null
     */
    public static int accept(Errno e, int fd, MemorySegment sockaddr) {
        try {
            if (sockaddr == null) {
                return (int) ACCEPT4.invokeExact(e.state, fd, 0L, 0L, SOCK_NONBLOCK | SOCK_CLOEXEC);
            }
            e.scratch.set(ValueLayout.JAVA_INT, 8, SOCKADDR_SIZE);
            return (int) ACCEPT4.invokeExact(e.state, fd, sockaddr.address(), e.scratch.address() + 8,
                    SOCK_NONBLOCK | SOCK_CLOEXEC);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    public static int connect(Errno e, int fd, MemorySegment sockaddr, int length) {
        try {
            return (int) CONNECT.invokeExact(e.state, fd, sockaddr.address(), length);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** The socket's own address into {@code sockaddr} ({@link #SOCKADDR_SIZE} bytes). */
    public static int getsockname(Errno e, int fd, MemorySegment sockaddr) {
        try {
            e.scratch.set(ValueLayout.JAVA_INT, 8, SOCKADDR_SIZE);
            return (int) GETSOCKNAME.invokeExact(e.state, fd, sockaddr.address(), e.scratch.address() + 8);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    public static long recv(Errno e, int fd, long address, long length) {
        try {
            return (long) RECV.invokeExact(e.state, fd, address, length, 0);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** Copies up to {@code length} waiting bytes without taking them from the socket (MSG_PEEK). */
    public static long peek(Errno e, int fd, long address, long length) {
        try {
            return (long) RECV.invokeExact(e.state, fd, address, length, MSG_PEEK);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** Sends without raising SIGPIPE on a connection the peer closed. */
    public static long send(Errno e, int fd, long address, long length) {
        try {
            return (long) SEND.invokeExact(e.state, fd, address, length, MSG_NOSIGNAL);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /**
     * Sends, holding the bytes back (below a full segment) for what comes next: more bytes, or the
     * FIN of a shutdown or close, which then leaves in the same segment. Without SIGPIPE.
     */
    public static long sendMore(Errno e, int fd, long address, long length) {
        try {
            return (long) SEND.invokeExact(e.state, fd, address, length, MSG_NOSIGNAL | MSG_MORE);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    public static int shutdown(Errno e, int fd, int how) {
        try {
            return (int) SHUTDOWN.invokeExact(e.state, fd, how);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    public static int close(Errno e, int fd) {
        try {
            return (int) CLOSE.invokeExact(e.state, fd);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    // ---- epoll, eventfd, pipes ------------------------------------------------------------------

    public static int epollCreate(Errno e) {
        try {
            return (int) EPOLL_CREATE1.invokeExact(e.state, O_CLOEXEC);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** Adds or modifies {@code fd} in the epoll set with the given event mask and 64-bit token. */
    public static int epollCtl(Errno e, int epfd, int op, int fd, int events, long token) {
        try {
            MemorySegment ev = e.scratch;
            ev.set(ValueLayout.JAVA_INT_UNALIGNED, 0, events);
            ev.set(ValueLayout.JAVA_LONG_UNALIGNED, EPOLL_DATA_OFFSET, token);
            return (int) EPOLL_CTL.invokeExact(e.state, epfd, op, fd, ev.address());
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** Waits for events into {@code events} (an array of {@link #EPOLL_EVENT_SIZE}-byte entries). */
    public static int epollWait(Errno e, int epfd, MemorySegment events, int max, int timeoutMillis) {
        try {
            return (int) EPOLL_WAIT.invokeExact(e.state, epfd, events.address(), max, timeoutMillis);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** The event mask of entry {@code i} of an epoll_wait result. */
    public static int eventMask(MemorySegment events, int i) {
        return events.get(ValueLayout.JAVA_INT_UNALIGNED, (long) i * EPOLL_EVENT_SIZE);
    }

    /** The token of entry {@code i} of an epoll_wait result. */
    public static long eventToken(MemorySegment events, int i) {
        return events.get(ValueLayout.JAVA_LONG_UNALIGNED, (long) i * EPOLL_EVENT_SIZE + EPOLL_DATA_OFFSET);
    }

    /** A non-blocking eventfd, for waking an epoll loop from another thread. */
    public static int eventfd(Errno e) {
        try {
            return (int) EVENTFD.invokeExact(e.state, 0, O_NONBLOCK | O_CLOEXEC);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    public static long read(Errno e, int fd, long address, long length) {
        try {
            return (long) READ.invokeExact(e.state, fd, address, length);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    public static long write(Errno e, int fd, long address, long length) {
        try {
            return (long) WRITE.invokeExact(e.state, fd, address, length);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /**
     * Opens a non-blocking pipe.
     *
     * @return {@code (read end << 32) | write end}, or -1 with errno set
     */
    public static long pipe(Errno e) {
        try {
            int r = (int) PIPE2.invokeExact(e.state, e.scratch.address(), O_NONBLOCK | O_CLOEXEC);
            if (r < 0) {
                return -1;
            }
            return ((long) e.scratch.get(ValueLayout.JAVA_INT, 0) << 32) | (e.scratch.get(ValueLayout.JAVA_INT, 4) & 0xFFFFFFFFL);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** Moves up to {@code length} bytes from one descriptor to another, one of them a pipe, without blocking. */
    public static long splice(Errno e, int from, int to, long length) {
        try {
            return (long) SPLICE.invokeExact(e.state, from, 0L, to, 0L, length, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** {@code malloc(3)}: native memory outside any arena, for buffers whose lifetime is a connection's. */
    public static long malloc(long size) {
        try {
            long a = (long) MALLOC.invokeExact(size);
            if (a == 0) {
                throw new OutOfMemoryError("malloc(" + size + ") failed");
            }
            return a;
        } catch (RuntimeException | Error t) {
            throw t;
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    public static void free(long address) {
        try {
            FREE.invokeExact(address);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** Copies between native addresses. */
    public static void copy(long from, long to, long length) {
        MemorySegment.copy(MemorySegment.ofAddress(from).reinterpret(length), 0,
                MemorySegment.ofAddress(to).reinterpret(length), 0, length);
    }

    /** The system's text for an errno value. */
    public static String message(int code) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(code);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "error " + code;
        }
    }

    /** An IOException naming what failed and the system's reason. */
    public static IOException error(String what, int code) {
        return new IOException(what + ": " + message(code) + " (errno " + code + ")");
    }

    // ---- addresses ------------------------------------------------------------------------------

    /**
     * Writes {@code ip:port} as a {@code sockaddr} of {@code family}; an IPv4 address on an IPv6
     * socket becomes its mapped form.
     *
     * @return the length to pass with it
     */
    public static int writeSockaddr(MemorySegment sa, int family, InetAddress ip, int port) {
        sa.fill((byte) 0);
        sa.set(ValueLayout.JAVA_SHORT, 0, (short) family);
        sa.set(NET_SHORT, 2, (short) port);
        byte[] raw = ip.getAddress();
        if (family == AF_INET) {
            MemorySegment.copy(raw, 0, sa, ValueLayout.JAVA_BYTE, 4, 4);
            return 16;
        }
        if (raw.length == 4) {
            sa.set(ValueLayout.JAVA_SHORT_UNALIGNED, 18, (short) -1);
            MemorySegment.copy(raw, 0, sa, ValueLayout.JAVA_BYTE, 20, 4);
        } else {
            MemorySegment.copy(raw, 0, sa, ValueLayout.JAVA_BYTE, 8, 16);
            if (ip instanceof Inet6Address v6) {
                sa.set(ValueLayout.JAVA_INT_UNALIGNED, 24, v6.getScopeId());
            }
        }
        return SOCKADDR_SIZE;
    }

    /** Reads a {@code sockaddr_in} or {@code sockaddr_in6}; an IPv4-mapped IPv6 address comes back as IPv4. */
    public static InetSocketAddress readSockaddr(MemorySegment sa) {
        int family = sa.get(ValueLayout.JAVA_SHORT, 0);
        int port = Short.toUnsignedInt(sa.get(NET_SHORT, 2));
        try {
            if (family == AF_INET) {
                byte[] raw = new byte[4];
                MemorySegment.copy(sa, ValueLayout.JAVA_BYTE, 4, raw, 0, 4);
                return new InetSocketAddress(Inet4Address.getByAddress(raw), port);
            }
            byte[] raw = new byte[16];
            MemorySegment.copy(sa, ValueLayout.JAVA_BYTE, 8, raw, 0, 16);
            return new InetSocketAddress(InetAddress.getByAddress(raw), port);
        } catch (UnknownHostException ex) {
            throw new IllegalStateException("bad address length", ex);
        }
    }

    private static IllegalStateException fail(Throwable t) {
        return new IllegalStateException("native call failed", t);
    }
}
