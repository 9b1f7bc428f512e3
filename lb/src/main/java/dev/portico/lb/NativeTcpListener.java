package dev.portico.lb;

import dev.portico.core.net.HostPort;
import dev.portico.core.transport.LinuxNet;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP listening address served by the native engine: one SO_REUSEPORT socket and one
 * {@link NativeLoop} thread per worker, so the kernel spreads connections over the loops.
 */
final class NativeTcpListener implements LbListener {

    private final HostPort requested;
    private final InetSocketAddress bound;
    private final List<NativeLoop> loops;

    private NativeTcpListener(HostPort requested, InetSocketAddress bound, List<NativeLoop> loops) {
        this.requested = requested;
        this.bound = bound;
        this.loops = loops;
    }

    /**
     * Binds {@code sockets} listening sockets on {@code address} and starts a loop on each.
     *
     * @param requested the address as configured (the key the service keeps it under)
     * @param address   where to bind; its port may differ from {@code requested}'s when a
     *                  listener is re-opened on the port it already had
     * @throws IOException naming the address and the system's reason when it cannot be bound
     */
    static NativeTcpListener bind(HostPort requested, HostPort address, int sockets, int backlog, LbShared shared,
                                  NativeEngine engine) throws IOException {
        InetSocketAddress target = address.toAddress();
        if (target.isUnresolved()) {
            throw new IOException("cannot listen on " + requested + ": unknown host " + address.host());
        }
        List<Integer> fds = new ArrayList<>();
        InetSocketAddress actual = target;
        try (Arena arena = Arena.ofConfined()) {
            LinuxNet.Errno e = new LinuxNet.Errno(arena);
            MemorySegment sa = arena.allocate(LinuxNet.SOCKADDR_SIZE, 8);
            int family = target.getAddress() instanceof Inet4Address ? LinuxNet.AF_INET : LinuxNet.AF_INET6;
            for (int i = 0; i < Math.max(1, sockets); i++) {
                int fd = LinuxNet.socket(e, family, LinuxNet.SOCK_STREAM | LinuxNet.SOCK_NONBLOCK | LinuxNet.SOCK_CLOEXEC);
                if (fd < 0) {
                    throw LinuxNet.error("cannot listen on " + requested, e.get());
                }
                fds.add(fd);
                LinuxNet.setInt(e, fd, LinuxNet.SOL_SOCKET, LinuxNet.SO_REUSEADDR, 1);
                LinuxNet.setInt(e, fd, LinuxNet.SOL_SOCKET, LinuxNet.SO_REUSEPORT, 1);
                // Accepted sockets inherit it: no option call per connection.
                LinuxNet.setInt(e, fd, LinuxNet.IPPROTO_TCP, LinuxNet.TCP_NODELAY, 1);
                if (family == LinuxNet.AF_INET6) {
                    LinuxNet.setInt(e, fd, LinuxNet.IPPROTO_IPV6, LinuxNet.IPV6_V6ONLY, 0);
                }
                int len = LinuxNet.writeSockaddr(sa, family, actual.getAddress(), actual.getPort());
                if (LinuxNet.bind(e, fd, sa, len) < 0 || LinuxNet.listen(e, fd, backlog) < 0) {
                    throw LinuxNet.error("cannot listen on " + requested, e.get());
                }
                if (actual.getPort() == 0) {
                    if (LinuxNet.getsockname(e, fd, sa) < 0) {
                        throw LinuxNet.error("cannot read the address of " + requested, e.get());
                    }
                    actual = new InetSocketAddress(actual.getAddress(), LinuxNet.readSockaddr(sa).getPort());
                }
            }
        } catch (IOException | RuntimeException ex) {
            try (Arena arena = Arena.ofConfined()) {
                LinuxNet.Errno e = new LinuxNet.Errno(arena);
                fds.forEach(fd -> LinuxNet.close(e, fd));
            }
            throw ex;
        }
        List<NativeLoop> loops = new ArrayList<>();
        for (int i = 0; i < fds.size(); i++) {
            loops.add(NativeLoop.start(fds.get(i), shared, engine, "portico-lb-" + shared.name() + "-native-" + (i + 1)));
        }
        return new NativeTcpListener(requested, actual, loops);
    }

    @Override
    public HostPort requested() {
        return requested;
    }

    @Override
    public InetSocketAddress localAddress() {
        return bound;
    }

    @Override
    public int sockets() {
        return loops.size();
    }

    @Override
    public String scheme() {
        return "tcp";
    }

    @Override
    public boolean nativeEngine() {
        return true;
    }

    @Override
    public void close() {
        loops.forEach(NativeLoop::stopAccepting);
    }
}
