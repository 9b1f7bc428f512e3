package dev.portico.core.transport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The FFM socket, epoll and splice calls, against real loopback sockets. */
@Timeout(20)
class LinuxNetTest {

    private Arena arena;
    private LinuxNet.Errno errno;
    private MemorySegment sa;
    private int listener = -1;
    private int epfd = -1;

    @BeforeEach
    void setUp() {
        assumeTrue(LinuxNet.available(), "Linux with native access only");
        arena = Arena.ofConfined();
        errno = new LinuxNet.Errno(arena);
        sa = arena.allocate(LinuxNet.SOCKADDR_SIZE, 8);
    }

    @AfterEach
    void tearDown() {
        if (arena == null) {
            return;
        }
        if (listener >= 0) {
            LinuxNet.close(errno, listener);
        }
        if (epfd >= 0) {
            LinuxNet.close(errno, epfd);
        }
        arena.close();
    }

    private int listen() {
        int fd = LinuxNet.socket(errno, LinuxNet.AF_INET, LinuxNet.SOCK_STREAM | LinuxNet.SOCK_NONBLOCK | LinuxNet.SOCK_CLOEXEC);
        assertThat(fd).isGreaterThanOrEqualTo(0);
        assertThat(LinuxNet.setInt(errno, fd, LinuxNet.SOL_SOCKET, LinuxNet.SO_REUSEADDR, 1)).isZero();
        assertThat(LinuxNet.setInt(errno, fd, LinuxNet.IPPROTO_TCP, LinuxNet.TCP_NODELAY, 1)).isZero();
        int len = LinuxNet.writeSockaddr(sa, LinuxNet.AF_INET, InetAddress.getLoopbackAddress(), 0);
        assertThat(LinuxNet.bind(errno, fd, sa, len)).isZero();
        assertThat(LinuxNet.listen(errno, fd, 16)).isZero();
        assertThat(LinuxNet.getsockname(errno, fd, sa)).isZero();
        return fd;
    }

    @Test
    void acceptsReadsAndWritesAndEpollReportsReadiness() throws Exception {
        listener = listen();
        InetSocketAddress bound = LinuxNet.readSockaddr(sa);
        assertThat(bound.getAddress().isLoopbackAddress()).isTrue();
        assertThat(bound.getPort()).isPositive();
        epfd = LinuxNet.epollCreate(errno);
        assertThat(epfd).isGreaterThanOrEqualTo(0);
        assertThat(LinuxNet.epollCtl(errno, epfd, LinuxNet.EPOLL_CTL_ADD, listener, LinuxNet.EPOLLIN, 42L)).isZero();
        MemorySegment events = arena.allocate(8L * LinuxNet.EPOLL_EVENT_SIZE, 8);
        assertThat(LinuxNet.epollWait(errno, epfd, events, 8, 0)).isZero();

        try (Socket client = new Socket()) {
            client.setSoTimeout(5000);
            client.connect(bound, 5000);
            assertThat(LinuxNet.epollWait(errno, epfd, events, 8, 5000)).isEqualTo(1);
            assertThat(LinuxNet.eventToken(events, 0)).isEqualTo(42L);
            assertThat(LinuxNet.eventMask(events, 0) & LinuxNet.EPOLLIN).isNotZero();

            MemorySegment peer = arena.allocate(LinuxNet.SOCKADDR_SIZE, 8);
            int conn = LinuxNet.accept(errno, listener, peer);
            assertThat(conn).isGreaterThanOrEqualTo(0);
            assertThat(LinuxNet.readSockaddr(peer).getPort()).isEqualTo(client.getLocalPort());
            // Inherited from the listening socket.
            assertThat(LinuxNet.getInt(errno, conn, LinuxNet.IPPROTO_TCP, LinuxNet.TCP_NODELAY)).isEqualTo(1);
            assertThat(LinuxNet.accept(errno, listener, peer)).isNegative();
            assertThat(errno.get()).isEqualTo(LinuxNet.EAGAIN);

            MemorySegment buf = arena.allocate(64);
            assertThat(LinuxNet.recv(errno, conn, buf.address(), 64)).isNegative();
            assertThat(errno.get()).isEqualTo(LinuxNet.EAGAIN);

            OutputStream out = client.getOutputStream();
            out.write("ping".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(LinuxNet.epollCtl(errno, epfd, LinuxNet.EPOLL_CTL_ADD, conn,
                    LinuxNet.EPOLLIN | LinuxNet.EPOLLRDHUP | LinuxNet.EPOLLET, 7L)).isZero();
            assertThat(LinuxNet.epollWait(errno, epfd, events, 8, 5000)).isEqualTo(1);
            assertThat(LinuxNet.eventToken(events, 0)).isEqualTo(7L);
            // A peek copies the bytes and leaves them for the next read.
            assertThat(LinuxNet.peek(errno, conn, buf.address(), 64)).isEqualTo(4);
            assertThat(buf.getString(0, StandardCharsets.US_ASCII).substring(0, 4)).isEqualTo("ping");
            buf.setString(0, "....", StandardCharsets.US_ASCII);
            assertThat(LinuxNet.recv(errno, conn, buf.address(), 64)).isEqualTo(4);
            assertThat(buf.getString(0, StandardCharsets.US_ASCII).substring(0, 4)).isEqualTo("ping");

            buf.setString(0, "pong", StandardCharsets.US_ASCII);
            assertThat(LinuxNet.send(errno, conn, buf.address(), 4)).isEqualTo(4);
            InputStream in = client.getInputStream();
            assertThat(new String(in.readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("pong");

            assertThat(LinuxNet.shutdown(errno, conn, LinuxNet.SHUT_WR)).isZero();
            assertThat(in.read()).isEqualTo(-1);
            client.shutdownOutput();
            assertThat(LinuxNet.epollWait(errno, epfd, events, 8, 5000)).isEqualTo(1);
            assertThat(LinuxNet.eventMask(events, 0) & LinuxNet.EPOLLRDHUP).isNotZero();
            assertThat(LinuxNet.recv(errno, conn, buf.address(), 64)).isZero();
            assertThat(LinuxNet.close(errno, conn)).isZero();
        }
    }

    @Test
    void connectsWithoutBlockingAndReportsARefusal() throws Exception {
        listener = listen();
        InetSocketAddress bound = LinuxNet.readSockaddr(sa);
        LinuxNet.close(errno, listener);
        listener = -1;
        int fd = LinuxNet.socket(errno, LinuxNet.AF_INET, LinuxNet.SOCK_STREAM | LinuxNet.SOCK_NONBLOCK | LinuxNet.SOCK_CLOEXEC);
        int len = LinuxNet.writeSockaddr(sa, LinuxNet.AF_INET, bound.getAddress(), bound.getPort());
        int r = LinuxNet.connect(errno, fd, sa, len);
        if (r < 0) {
            assertThat(errno.get()).isIn(LinuxNet.EINPROGRESS, 111);
        }
        epfd = LinuxNet.epollCreate(errno);
        LinuxNet.epollCtl(errno, epfd, LinuxNet.EPOLL_CTL_ADD, fd, LinuxNet.EPOLLOUT | LinuxNet.EPOLLET, 1L);
        MemorySegment events = arena.allocate(4L * LinuxNet.EPOLL_EVENT_SIZE, 8);
        assertThat(LinuxNet.epollWait(errno, epfd, events, 4, 5000)).isEqualTo(1);
        assertThat(LinuxNet.eventMask(events, 0) & (LinuxNet.EPOLLERR | LinuxNet.EPOLLHUP)).isNotZero();
        assertThat(LinuxNet.getInt(errno, fd, LinuxNet.SOL_SOCKET, LinuxNet.SO_ERROR)).isEqualTo(111);
        assertThat(LinuxNet.message(111)).containsIgnoringCase("refused");
        LinuxNet.close(errno, fd);
    }

    @Test
    void splicesThroughAPipeAndCopiesBetweenMallocedBuffers() throws Exception {
        long fds = LinuxNet.pipe(errno);
        assertThat(fds).isNotNegative();
        int readEnd = (int) (fds >>> 32);
        int writeEnd = (int) fds;
        long a = LinuxNet.malloc(16);
        long b = LinuxNet.malloc(16);
        try {
            MemorySegment.ofAddress(a).reinterpret(16).setString(0, "spliced bytes", StandardCharsets.US_ASCII);
            LinuxNet.copy(a, b, 16);
            assertThat(LinuxNet.write(errno, writeEnd, b, 13)).isEqualTo(13);
            long second = LinuxNet.pipe(errno);
            int readEnd2 = (int) (second >>> 32);
            int writeEnd2 = (int) second;
            assertThat(LinuxNet.splice(errno, readEnd, writeEnd2, 64)).isEqualTo(13);
            assertThat(LinuxNet.splice(errno, readEnd, writeEnd2, 64)).isNegative();
            assertThat(errno.get()).isEqualTo(LinuxNet.EAGAIN);
            MemorySegment out = MemorySegment.ofAddress(a).reinterpret(16);
            out.fill((byte) 0);
            assertThat(LinuxNet.read(errno, readEnd2, a, 16)).isEqualTo(13);
            assertThat(out.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 's');
            assertThat(out.getString(0, StandardCharsets.US_ASCII)).isEqualTo("spliced bytes");
            LinuxNet.close(errno, readEnd2);
            LinuxNet.close(errno, writeEnd2);
        } finally {
            LinuxNet.free(a);
            LinuxNet.free(b);
            LinuxNet.close(errno, readEnd);
            LinuxNet.close(errno, writeEnd);
        }
    }
}
