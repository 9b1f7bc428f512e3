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
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * A blocking Linux UDP socket read and written a batch at a time with {@code recvmmsg} and
 * {@code sendmmsg}, called through the Foreign Function and Memory API. A request/response server
 * (DNS) gives each socket one thread that loops: receive a batch, answer into the batch's send
 * buffers, send the batch. Nothing is allocated per datagram, and no readiness call sits between
 * batches, which is what a datagram server spends most of its user time on with a general purpose
 * channel.
 *
 * <p>Only on Linux (x86-64 and AArch64, whose {@code struct msghdr} layouts are the same); check
 * {@link #available()} first. Not thread-safe: one thread receives and sends.
 */
public final class BatchedUdpSocket implements AutoCloseable {

    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_SNDBUF = 7;
    private static final int SO_RCVBUF = 8;
    private static final int SO_REUSEPORT = 15;
    private static final int SO_RCVTIMEO = 20;
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPV6_V6ONLY = 26;
    private static final int MSG_WAITFORONE = 0x10000;
    private static final int SHUT_RDWR = 2;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;

    /** {@code struct sockaddr_in6}, the larger of the two address structures. */
    private static final int SOCKADDR_SIZE = 28;
    private static final int SOCKADDR_STRIDE = 32;
    /** {@code struct iovec}: base, length. */
    private static final int IOVEC_SIZE = 16;
    /** {@code struct mmsghdr}: a 56-byte {@code struct msghdr} then {@code msg_len}, padded. */
    private static final int MMSGHDR_SIZE = 64;
    private static final int HDR_NAME = 0;
    private static final int HDR_NAMELEN = 8;
    private static final int HDR_IOV = 16;
    private static final int HDR_IOVLEN = 24;
    private static final int HDR_CONTROL = 32;
    private static final int HDR_CONTROLLEN = 40;
    private static final int HDR_FLAGS = 48;
    private static final int HDR_MSGLEN = 56;

    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 2;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final long MAP_FAILED = -1L;

    private static final Native NATIVE = Native.load();

    private final int fd;
    private final Arena arena;
    private final MemorySegment errno;
    private final InetSocketAddress local;
    private volatile boolean closed;

    private BatchedUdpSocket(int fd, Arena arena, MemorySegment errno, InetSocketAddress local) {
        this.fd = fd;
        this.arena = arena;
        this.errno = errno;
        this.local = local;
    }

    /**
     * Whether batched sockets work here: Linux on x86-64 or AArch64, with native access allowed.
     *
     * @return true when {@link #bind} can be used
     */
    public static boolean available() {
        return NATIVE != null;
    }

    /**
     * Opens a socket of {@code address}'s family and binds it.
     *
     * @param address        where to bind (port 0 picks a free port)
     * @param reusePort      whether to set SO_REUSEPORT, so that several sockets share the port
     * @param bufferBytes    SO_RCVBUF and SO_SNDBUF, or 0 to leave the system's
     * @param receiveTimeout how long a {@link #receive} call waits at most, in milliseconds (so that
     *                       a receiving thread sees {@link #close()} even where a shutdown does not
     *                       wake it)
     * @return the bound socket
     * @throws IOException naming the address and the system's reason when it cannot be bound
     */
    public static BatchedUdpSocket bind(InetSocketAddress address, boolean reusePort, int bufferBytes,
                                        int receiveTimeout) throws IOException {
        if (NATIVE == null) {
            throw new IOException("batched UDP sockets need Linux on x86-64 or aarch64");
        }
        InetAddress ip = address.getAddress();
        int family = ip instanceof Inet4Address ? AF_INET : AF_INET6;
        Arena arena = Arena.ofShared();
        MemorySegment errno = arena.allocate(Native.ERRNO_SIZE);
        int fd = -1;
        try {
            fd = (int) NATIVE.socket.invokeExact(errno, family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw failure("cannot open a udp socket for " + address, errno);
            }
            MemorySegment one = arena.allocate(ValueLayout.JAVA_INT);
            one.set(ValueLayout.JAVA_INT, 0, 1);
            if (reusePort) {
                setOption(fd, SOL_SOCKET, SO_REUSEPORT, one, errno, address);
            }
            if (family == AF_INET6 && !ip.isAnyLocalAddress()) {
                setOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, one, errno, address);
            }
            if (bufferBytes > 0) {
                MemorySegment size = arena.allocate(ValueLayout.JAVA_INT);
                size.set(ValueLayout.JAVA_INT, 0, bufferBytes);
                setOption(fd, SOL_SOCKET, SO_RCVBUF, size, errno, address);
                setOption(fd, SOL_SOCKET, SO_SNDBUF, size, errno, address);
            }
            if (receiveTimeout > 0) {
                MemorySegment tv = arena.allocate(16, 8);
                tv.set(ValueLayout.JAVA_LONG, 0, receiveTimeout / 1000);
                tv.set(ValueLayout.JAVA_LONG, 8, (receiveTimeout % 1000) * 1000L);
                setOption(fd, SOL_SOCKET, SO_RCVTIMEO, tv, errno, address);
            }
            MemorySegment sa = arena.allocate(SOCKADDR_STRIDE, 8);
            int len = writeSockaddr(sa, family, ip, address.getPort());
            if ((int) NATIVE.bind.invokeExact(errno, fd, sa, len) < 0) {
                throw failure("cannot listen on udp " + address, errno);
            }
            MemorySegment lenOut = arena.allocate(ValueLayout.JAVA_INT);
            lenOut.set(ValueLayout.JAVA_INT, 0, SOCKADDR_STRIDE);
            sa.fill((byte) 0);
            if ((int) NATIVE.getsockname.invokeExact(errno, fd, sa, lenOut) < 0) {
                throw failure("cannot read the address of udp " + address, errno);
            }
            InetSocketAddress bound = new InetSocketAddress(ip, Short.toUnsignedInt(sa.get(NET_SHORT, 2)));
            return new BatchedUdpSocket(fd, arena, errno, bound);
        } catch (IOException e) {
            closeQuietly(fd);
            arena.close();
            throw e;
        } catch (Throwable t) {
            closeQuietly(fd);
            arena.close();
            throw new IOException("cannot listen on udp " + address + ": " + t, t);
        }
    }

    private static void setOption(int fd, int level, int name, MemorySegment value, MemorySegment errno,
                                  InetSocketAddress address) throws Throwable {
        if ((int) NATIVE.setsockopt.invokeExact(errno, fd, level, name, value, (int) value.byteSize()) < 0) {
            throw failure("cannot set socket option " + name + " for udp " + address, errno);
        }
    }

    private static IOException failure(String what, MemorySegment errno) {
        int code = errno.get(ValueLayout.JAVA_INT, Native.ERRNO_OFFSET);
        return new IOException(what + ": " + NATIVE.message(code) + " (errno " + code + ")");
    }

    private static void closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                int ignored = (int) NATIVE.close.invokeExact(fd);
            } catch (Throwable ignored) {
                // nothing more can be done about a descriptor that does not close
            }
        }
    }

    private static int writeSockaddr(MemorySegment sa, int family, InetAddress ip, int port) {
        return LinuxNet.writeSockaddr(sa, family, ip, port);
    }

    /** The address bound, with the real port when 0 was asked for. */
    public InetSocketAddress localAddress() {
        return local;
    }

    /**
     * Makes buffers for batches of up to {@code size} datagrams, freed with this socket.
     *
     * @param size         datagrams per call
     * @param receiveBytes the longest datagram received (longer ones are cut to this length)
     * @param sendBytes    the longest datagram sent
     * @return the batch
     */
    public Batch newBatch(int size, int receiveBytes, int sendBytes) {
        return new Batch(arena, size, receiveBytes, sendBytes, this::untouchedPages);
    }

    /**
     * {@code bytes} of anonymous memory that takes no resident memory until written, freed with
     * this socket. A batch's data areas are large and mostly never written (32 replies of up to
     * 64 KiB make 2 MiB, where most answers are a few hundred bytes), and an arena's memory is
     * zeroed, so all of it would be resident from the start. Where mmap fails, from the arena.
     */
    private MemorySegment untouchedPages(long bytes) {
        try {
            MemorySegment at = (MemorySegment) NATIVE.mmap.invokeExact(MemorySegment.NULL, bytes,
                    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
            if (at.address() != MAP_FAILED) {
                MethodHandle munmap = NATIVE.munmap;
                long address = at.address();
                return at.reinterpret(bytes, arena, s -> {
                    try {
                        int ignored = (int) munmap.invokeExact(MemorySegment.ofAddress(address), bytes);
                    } catch (Throwable ignored) {
                        // the pages stay mapped until the process ends
                    }
                });
            }
        } catch (Throwable t) {
            // fall through to the arena
        }
        return arena.allocate(bytes, 64);
    }

    /**
     * Waits for at least one datagram, then takes every datagram already queued, up to the batch's
     * size.
     *
     * @return how many datagrams were received; 0 after the receive timeout or an interruption
     * @throws IOException when the socket fails or is closed
     */
    public int receive(Batch batch) throws IOException {
        if (closed) {
            throw new IOException("socket closed");
        }
        batch.prepareReceive();
        int n;
        try {
            n = (int) NATIVE.recvmmsg.invokeExact(errno, fd, batch.rxHeaders, batch.size, MSG_WAITFORONE, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IOException("recvmmsg failed: " + t, t);
        }
        if (n < 0) {
            int code = errno.get(ValueLayout.JAVA_INT, Native.ERRNO_OFFSET);
            if (code == EINTR || code == EAGAIN) {
                return 0;
            }
            throw new IOException("recvmmsg failed: " + NATIVE.message(code) + " (errno " + code + ")");
        }
        if (closed) {
            throw new IOException("socket closed");
        }
        batch.received = n;
        return n;
    }

    /**
     * Sends the datagrams queued with {@link Batch#reply}. A datagram the system refuses (its
     * destination unreachable, say) is dropped and the rest still go.
     *
     * @return how many were sent
     * @throws IOException when the socket fails or is closed
     */
    public int send(Batch batch) throws IOException {
        int total = batch.replies;
        int sent = 0;
        int at = 0;
        while (at < total) {
            int n;
            try {
                n = (int) NATIVE.sendmmsg.invokeExact(errno, fd,
                        batch.txHeaders.asSlice((long) at * MMSGHDR_SIZE), total - at, 0);
            } catch (Throwable t) {
                throw new IOException("sendmmsg failed: " + t, t);
            }
            if (n < 0) {
                int code = errno.get(ValueLayout.JAVA_INT, Native.ERRNO_OFFSET);
                if (code == EINTR) {
                    continue;
                }
                if (closed) {
                    throw new IOException("socket closed");
                }
                at++;
            } else {
                at += n;
                sent += n;
            }
        }
        batch.replies = 0;
        return sent;
    }

    /** Wakes a thread blocked in {@link #receive} and closes the socket; later calls fail. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            int ignored = (int) NATIVE.shutdown.invokeExact(fd, SHUT_RDWR);
        } catch (Throwable ignored) {
            // closing goes on
        }
    }

    /**
     * Frees the descriptor and the batches' memory; call after the thread that used this socket has
     * stopped.
     */
    public void release() {
        close();
        closeQuietly(fd);
        arena.close();
    }

    /**
     * Buffers for one batch: per slot a received datagram, its sender, and the reply to it. Replies
     * are queued in any order with {@link #reply} and go back to the sender of their slot.
     */
    public static final class Batch {
        private final int size;
        private final int receiveBytes;
        private final int sendBytes;
        private final MemorySegment rxHeaders;
        private final MemorySegment txHeaders;
        private final MemorySegment rxIovecs;
        private final MemorySegment txIovecs;
        private final MemorySegment names;
        private final MemorySegment rxData;
        private final MemorySegment txData;
        private int received;
        private int replies;

        private Batch(Arena arena, int size, int receiveBytes, int sendBytes,
                      java.util.function.LongFunction<MemorySegment> pages) {
            this.size = size;
            this.receiveBytes = receiveBytes;
            this.sendBytes = sendBytes;
            rxHeaders = arena.allocate((long) MMSGHDR_SIZE * size, 8);
            txHeaders = arena.allocate((long) MMSGHDR_SIZE * size, 8);
            rxIovecs = arena.allocate((long) IOVEC_SIZE * size, 8);
            txIovecs = arena.allocate((long) IOVEC_SIZE * size, 8);
            names = arena.allocate((long) SOCKADDR_STRIDE * size, 8);
            rxData = pages.apply((long) receiveBytes * size);
            txData = pages.apply((long) sendBytes * size);
            for (int i = 0; i < size; i++) {
                long h = (long) i * MMSGHDR_SIZE;
                rxIovecs.set(ValueLayout.ADDRESS, (long) i * IOVEC_SIZE, rxData.asSlice((long) i * receiveBytes));
                rxHeaders.set(ValueLayout.ADDRESS, h + HDR_NAME, names.asSlice((long) i * SOCKADDR_STRIDE));
                rxHeaders.set(ValueLayout.ADDRESS, h + HDR_IOV, rxIovecs.asSlice((long) i * IOVEC_SIZE));
                rxHeaders.set(ValueLayout.JAVA_LONG, h + HDR_IOVLEN, 1);
                rxHeaders.set(ValueLayout.ADDRESS, h + HDR_CONTROL, MemorySegment.NULL);
                rxHeaders.set(ValueLayout.JAVA_LONG, h + HDR_CONTROLLEN, 0);
                txHeaders.set(ValueLayout.JAVA_LONG, h + HDR_IOVLEN, 1);
                txHeaders.set(ValueLayout.ADDRESS, h + HDR_IOV, txIovecs.asSlice((long) i * IOVEC_SIZE));
                txHeaders.set(ValueLayout.ADDRESS, h + HDR_CONTROL, MemorySegment.NULL);
                txHeaders.set(ValueLayout.JAVA_LONG, h + HDR_CONTROLLEN, 0);
            }
        }

        private void prepareReceive() {
            for (int i = 0; i < size; i++) {
                long h = (long) i * MMSGHDR_SIZE;
                rxHeaders.set(ValueLayout.JAVA_INT, h + HDR_NAMELEN, SOCKADDR_SIZE);
                rxHeaders.set(ValueLayout.JAVA_INT, h + HDR_FLAGS, 0);
                rxIovecs.set(ValueLayout.JAVA_LONG, (long) i * IOVEC_SIZE + 8, receiveBytes);
            }
            received = 0;
            replies = 0;
        }

        /** Datagrams per call. */
        public int size() {
            return size;
        }

        /** The longest reply that fits a slot. */
        public int sendCapacity() {
            return sendBytes;
        }

        /** The longest datagram received whole. */
        public int receiveCapacity() {
            return receiveBytes;
        }

        /** How many datagrams the last {@link BatchedUdpSocket#receive} took. */
        public int received() {
            return received;
        }

        /** Where slot {@code i}'s received datagram is (as long as the receive capacity). */
        public MemorySegment receiveBuffer(int i) {
            return rxData.asSlice((long) i * receiveBytes, receiveBytes);
        }

        /** Where slot {@code i}'s reply is written (as long as the send capacity). */
        public MemorySegment sendBuffer(int i) {
            return txData.asSlice((long) i * sendBytes, sendBytes);
        }

        /** The length of slot {@code i}'s datagram (cut to the receive capacity). */
        public int length(int i) {
            return Math.min(rxHeaders.get(ValueLayout.JAVA_INT, (long) i * MMSGHDR_SIZE + HDR_MSGLEN), receiveBytes);
        }

        /** Whether slot {@code i}'s datagram was longer than the receive capacity. */
        public boolean truncated(int i) {
            return rxHeaders.get(ValueLayout.JAVA_INT, (long) i * MMSGHDR_SIZE + HDR_MSGLEN) > receiveBytes
                    || (rxHeaders.get(ValueLayout.JAVA_INT, (long) i * MMSGHDR_SIZE + HDR_FLAGS) & 0x20) != 0;
        }

        /**
         * The sender of slot {@code i}'s datagram; IPv4-mapped IPv6 senders come back as IPv4.
         *
         * @return the address, or null when the system gave none this code understands
         */
        public InetSocketAddress sender(int i) {
            long at = (long) i * SOCKADDR_STRIDE;
            int fam = Short.toUnsignedInt(names.get(ValueLayout.JAVA_SHORT, at));
            int port = Short.toUnsignedInt(names.get(NET_SHORT, at + 2));
            byte[] raw;
            if (fam == AF_INET) {
                raw = new byte[4];
                MemorySegment.copy(names, ValueLayout.JAVA_BYTE, at + 4, raw, 0, 4);
            } else if (fam == AF_INET6) {
                raw = new byte[16];
                MemorySegment.copy(names, ValueLayout.JAVA_BYTE, at + 8, raw, 0, 16);
            } else {
                return null;
            }
            try {
                // getByAddress turns a mapped ::ffff:a.b.c.d into an Inet4Address itself.
                return new InetSocketAddress(InetAddress.getByAddress(raw), port);
            } catch (UnknownHostException e) {
                return null;
            }
        }

        /**
         * Copies the address of slot {@code i}'s sender into {@code into} without making an object
         * (the per-datagram path of a server that only needs the bytes); IPv4-mapped IPv6 senders
         * come back as IPv4, as in {@link #sender}.
         *
         * @param into at least 16 bytes
         * @return 4 or 16, the address's length, or 0 when the system gave none this code understands
         */
        public int senderAddress(int i, byte[] into) {
            long at = (long) i * SOCKADDR_STRIDE;
            int fam = Short.toUnsignedInt(names.get(ValueLayout.JAVA_SHORT, at));
            if (fam == AF_INET) {
                MemorySegment.copy(names, ValueLayout.JAVA_BYTE, at + 4, into, 0, 4);
                return 4;
            }
            if (fam != AF_INET6) {
                return 0;
            }
            MemorySegment.copy(names, ValueLayout.JAVA_BYTE, at + 8, into, 0, 16);
            for (int b = 0; b < 10; b++) {
                if (into[b] != 0) {
                    return 16;
                }
            }
            if (into[10] != (byte) 0xff || into[11] != (byte) 0xff) {
                return 16;
            }
            System.arraycopy(into, 12, into, 0, 4);
            return 4;
        }

        /**
         * Queues slot {@code i}'s reply of {@code length} bytes (already written to its send
         * buffer) for its sender.
         */
        public void reply(int i, int length) {
            if (length < 0 || length > sendBytes) {
                throw new IllegalArgumentException("reply of " + length + " bytes does not fit " + sendBytes);
            }
            int j = replies++;
            long h = (long) j * MMSGHDR_SIZE;
            // Pointers written as 64-bit values: no segment object per reply.
            txIovecs.set(ValueLayout.JAVA_LONG, (long) j * IOVEC_SIZE, txData.address() + (long) i * sendBytes);
            txIovecs.set(ValueLayout.JAVA_LONG, (long) j * IOVEC_SIZE + 8, length);
            txHeaders.set(ValueLayout.JAVA_LONG, h + HDR_NAME, names.address() + (long) i * SOCKADDR_STRIDE);
            txHeaders.set(ValueLayout.JAVA_INT, h + HDR_NAMELEN, rxHeaders.get(ValueLayout.JAVA_INT, (long) i * MMSGHDR_SIZE + HDR_NAMELEN));
            txHeaders.set(ValueLayout.JAVA_INT, h + HDR_FLAGS, 0);
        }
    }

    /** The C functions, linked once; null where this platform is not supported. */
    private record Native(MethodHandle socket, MethodHandle setsockopt, MethodHandle bind, MethodHandle getsockname,
                          MethodHandle recvmmsg, MethodHandle sendmmsg, MethodHandle shutdown, MethodHandle close,
                          MethodHandle strerror, MethodHandle mmap, MethodHandle munmap) {

        static final long ERRNO_SIZE = Linker.Option.captureStateLayout().byteSize();
        static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
                .byteOffset(MemoryLayout.PathElement.groupElement("errno"));

        static Native load() {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
            if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
                return null;
            }
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                ValueLayout i = ValueLayout.JAVA_INT;
                ValueLayout p = ValueLayout.ADDRESS;
                return new Native(
                        linker.downcallHandle(libc.findOrThrow("socket"), FunctionDescriptor.of(i, i, i, i), errno),
                        linker.downcallHandle(libc.findOrThrow("setsockopt"), FunctionDescriptor.of(i, i, i, i, p, i), errno),
                        linker.downcallHandle(libc.findOrThrow("bind"), FunctionDescriptor.of(i, i, p, i), errno),
                        linker.downcallHandle(libc.findOrThrow("getsockname"), FunctionDescriptor.of(i, i, p, p), errno),
                        linker.downcallHandle(libc.findOrThrow("recvmmsg"), FunctionDescriptor.of(i, i, p, i, i, p), errno),
                        linker.downcallHandle(libc.findOrThrow("sendmmsg"), FunctionDescriptor.of(i, i, p, i, i), errno),
                        linker.downcallHandle(libc.findOrThrow("shutdown"), FunctionDescriptor.of(i, i, i)),
                        linker.downcallHandle(libc.findOrThrow("close"), FunctionDescriptor.of(i, i)),
                        linker.downcallHandle(libc.findOrThrow("strerror"), FunctionDescriptor.of(p, i)),
                        linker.downcallHandle(libc.findOrThrow("mmap"),
                                FunctionDescriptor.of(p, p, ValueLayout.JAVA_LONG, i, i, i, ValueLayout.JAVA_LONG)),
                        linker.downcallHandle(libc.findOrThrow("munmap"), FunctionDescriptor.of(i, p, ValueLayout.JAVA_LONG)));
            } catch (RuntimeException | LinkageError e) {
                // Native access refused (no --enable-native-access) or a libc without these calls.
                return null;
            }
        }

        String message(int code) {
            try {
                MemorySegment s = (MemorySegment) strerror.invokeExact(code);
                return s.reinterpret(256).getString(0);
            } catch (Throwable t) {
                return "error " + code;
            }
        }
    }
}
