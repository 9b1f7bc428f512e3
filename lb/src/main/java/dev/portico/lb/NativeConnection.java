package dev.portico.lb;

import dev.portico.core.tls.ClientHelloParser;
import dev.portico.core.transport.LinuxNet;
import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.scheduler.SelectionContext;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * One client connection of the native engine and the backend connection made for it, relayed
 * both ways on their {@link NativeLoop}. The same rules as the Netty path ({@link FrontendHandler},
 * {@link Dialer}, {@link Relay}):
 *
 * <ul>
 *   <li>A PROXY header for the backend goes out with its handshake: the backend socket holds
 *       back its last handshake ACK to carry it. The client is read once it is connected.</li>
 *   <li>A refused or timed-out connect, or a backend that closes before a byte went either way,
 *       moves the client to the next host; the client sees nothing of it.</li>
 *   <li>Backpressure: a direction stops reading while its peer holds unsent bytes (at most one
 *       read's worth), and resumes when they are written.</li>
 *   <li>Half-close: an end of input becomes a shutdown of the peer's output once every byte
 *       before it is written; when both ends are done, both sockets are closed.</li>
 *   <li>Splice: a direction that carries large reads moves through a pipe without entering the
 *       JVM, as the service's {@code splice} setting says.</li>
 *   <li>A client from a trusted proxy in front ({@code accept_proxy}) is dialed only once its
 *       PROXY header is read: the header is peeked until it is complete, then taken from the
 *       socket, and the real client it names drives scheduling and any header sent on.</li>
 *   <li>A service with {@code sni_routes} reads the client's TLS ClientHello into a buffer
 *       (at most {@link ClientHelloParser#MAX_BYTES}), picks the group by its server name, dials,
 *       and writes the buffered bytes, untouched, to the backend first; the relay (copy or
 *       splice) goes on from there.</li>
 *   <li>Connect, PROXY header, ClientHello and idle timeouts, checked by the loop's sweep.</li>
 * </ul>
 */
final class NativeConnection {

    private static final Logger log = LoggerFactory.getLogger(NativeConnection.class);

    /** One socket of the pair and the bytes waiting to be written to it. */
    private static final class Side {
        final boolean backend;
        int fd = -1;
        boolean readable;
        /** Epoll reported a FIN, hang-up or error: read until the end, not just until a short read. */
        boolean hupSeen;
        /** Epoll reported the peer's FIN (and no error): every byte it sent is already queued. */
        boolean finSeen;
        /** The last bytes sent to this socket were held back with MSG_MORE for a FIN to join them. */
        boolean held;
        boolean inputShut;
        boolean outputShut;
        boolean shutAfterFlush;
        boolean outArmed;
        /** Bytes read from this socket. */
        long bytesRead;
        /** Bytes waiting to be written to this socket: malloc'd, or 0. */
        long pending;
        int pendingOffset;
        int pendingLength;
        /** Splicing from this socket: the pipe's ends and what sits in it. */
        int pipeIn = -1;
        int pipeOut = -1;
        long inPipe;
        long largeRun;

        Side(boolean backend) {
            this.backend = backend;
        }

        /** Whether bytes read from this side wait in its pipe, or bytes copied for it wait to be written. */
        boolean holding() {
            return pendingLength > 0 || inPipe > 0;
        }
    }

    final int generation;
    private final NativeLoop loop;
    private final int slot;
    /** The service's route, then the one the ClientHello chose (SNI routing). */
    private Route route;
    /** The client: the peer, or the one a PROXY header named. */
    private InetSocketAddress clientAddress;
    /** The address the client connected to, as a PROXY header named it; null for this socket's own. */
    private InetSocketAddress localAddress;
    private SelectionContext selection;
    private final Side client = new Side(false);
    private Side backend = new Side(true);
    private Backend host;
    private List<Backend> tried = List.of();
    private int attemptsLeft;
    private boolean connecting;
    /** Connecting waits for the first lookup of the host's name (off the loop). */
    private boolean awaitingName;
    /** Waiting for a trusted proxy's PROXY header, until {@link #connectDeadline}; nothing is dialed yet. */
    private boolean awaitingHeader;
    /** Waiting for the ClientHello (SNI routing), until {@link #helloDeadline}; nothing is dialed yet. */
    private boolean awaitingHello;
    private long helloDeadline;
    /**
     * The bytes read for the hello when one read did not hold it: malloc'd, {@link #helloCapacity}
     * bytes, twice what was read and doubled as needed up to {@link ClientHelloParser#MAX_BYTES},
     * so a slow client holds about what it sent; or 0.
     */
    private long hello;
    private int helloCapacity;
    private int helloLength;
    private boolean closed;
    private long connectDeadline;
    private long lastActive;
    /** Bytes a direction carries in large reads before it is spliced; -1 for never. */
    private final long spliceAfter;

    private NativeConnection(NativeLoop loop, Route route, InetSocketAddress clientAddress) {
        this.loop = loop;
        this.route = route;
        this.clientAddress = clientAddress;
        this.selection = SelectionContext.ofClient(clientAddress);
        this.attemptsLeft = route.config().attempts(route.group().pool().members().size());
        this.spliceAfter = route.config().splice().threshold();
        this.slot = loop.register(this);
        this.generation = loop.nextGeneration();
    }

    /** A connection was accepted on {@code loop}: admit it, read what is waiting, dial. */
    static void accept(NativeLoop loop, int fd, InetSocketAddress peer) {
        Route route = loop.shared.route().get();
        LbMetrics metrics = loop.shared.metrics();
        int open = metrics.opened();
        int cap = route.maxConnections();
        if (open > cap) {
            metrics.rejected();
            log.debug("{}: refusing {}: {} connections open (limit {})", loop.shared.name(), peer, open - 1, cap);
            LinuxNet.close(loop.errno, fd);
            metrics.closed();
            return;
        }
        NativeConnection c = new NativeConnection(loop, route, peer);
        c.client.fd = fd;
        c.lastActive = loop.now;
        c.awaitingHeader = route.config().acceptProxy().trusts(peer);
        if (c.awaitingHeader) {
            c.connectDeadline = loop.now + route.config().connectTimeout().toNanos();
        } else {
            c.queueProxyHeader();
            c.awaitHello();
        }
        if (LinuxNet.epollCtl(loop.errno, loop.epfd(), LinuxNet.EPOLL_CTL_ADD, fd,
                LinuxNet.EPOLLIN | LinuxNet.EPOLLRDHUP | LinuxNet.EPOLLET,
                NativeLoop.token(c.slot, c.generation, false)) < 0) {
            log.warn("{}: cannot watch client {}: {}", loop.shared.name(), peer, LinuxNet.message(loop.errno.get()));
            c.close();
            return;
        }
        if (!c.awaitingHeader && !c.awaitingHello) {
            c.dial(); // else the client's first input event reads the header or hello (epoll reports bytes already there)
        }
    }

    /**
     * Queues the PROXY header for the backend, when the service sends one. The client is not read
     * yet: most clients speak right after their handshake, so their first bytes are seldom there
     * at accept, and a read that finds nothing costs as much as the one that follows the event.
     */
    private void queueProxyHeader() {
        ProxyProtocol pp = route.config().proxyProtocol();
        if (pp != ProxyProtocol.OFF) {
            stash(backend, loop.buffer, writeProxyHeader(pp));
        }
    }

    private int writeProxyHeader(ProxyProtocol pp) {
        InetSocketAddress local = localAddress != null ? localAddress : ownAddress();
        ByteBuf h = ProxyHeader.encode(pp, clientAddress, local, UnpooledByteBufAllocator.DEFAULT);
        try {
            byte[] bytes = ByteBufUtil.getBytes(h);
            MemorySegment.copy(bytes, 0, MemorySegment.ofAddress(loop.buffer).reinterpret(bytes.length),
                    ValueLayout.JAVA_BYTE, 0, bytes.length);
            return bytes.length;
        } finally {
            h.release();
        }
    }

    /** The address the client reached on this machine. */
    private InetSocketAddress ownAddress() {
        if (LinuxNet.getsockname(loop.errno, client.fd, loop.sockaddr) == 0) {
            return LinuxNet.readSockaddr(loop.sockaddr);
        }
        return new InetSocketAddress(0);
    }

    // ---- a trusted proxy's header --------------------------------------------------------------

    /**
     * Peeks at the client's bytes until they hold a whole PROXY header, then takes the header from
     * the socket (what follows it stays there for the relay) and dials for the client it names.
     */
    private void readHeader() {
        long max = Math.min(NativeLoop.BUFFER, 16 + ProxyHeaderParser.MAX_V2_PAYLOAD);
        long n = LinuxNet.peek(loop.errno, client.fd, loop.buffer, max);
        if (n < 0) {
            int code = loop.errno.get();
            if (code != LinuxNet.EAGAIN) {
                rejectHeader("read failed: " + LinuxNet.message(code));
            }
            return;
        }
        if (n == 0) {
            rejectHeader("closed before a complete PROXY header");
            return;
        }
        byte[] bytes = new byte[(int) n];
        MemorySegment.copy(MemorySegment.ofAddress(loop.buffer).reinterpret(n), ValueLayout.JAVA_BYTE, 0,
                bytes, 0, (int) n);
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        ProxyHeaderParser.Result header;
        try {
            header = ProxyHeaderParser.parse(in);
        } catch (ProxyHeaderParser.MalformedException e) {
            rejectHeader(e.getMessage());
            return;
        }
        if (header == null) {
            if (client.hupSeen || n == max) {
                rejectHeader("no complete PROXY header in the " + n + " bytes sent");
            }
            return; // the rest comes with the next input event
        }
        int length = in.readerIndex();
        if (LinuxNet.recv(loop.errno, client.fd, loop.buffer, length) != length) {
            rejectHeader("cannot take the PROXY header from the socket");
            return;
        }
        awaitingHeader = false;
        if (header.source() != null && header.destination() != null) {
            clientAddress = header.source();
            localAddress = header.destination();
            selection = SelectionContext.ofClient(clientAddress);
        }
        // client.readable stays set: bytes after the header may wait, and no new edge would report them.
        queueProxyHeader();
        if (awaitHello()) {
            readHello();
        } else {
            dial();
        }
    }

    private void rejectHeader(String why) {
        // Take what was only peeked at, so that the close ends with a FIN rather than a reset.
        for (int i = 0; i < 4 && LinuxNet.recv(loop.errno, client.fd, loop.buffer, NativeLoop.BUFFER) > 0; i++) {
            // discarded
        }
        loop.shared.metrics().proxyHeaderRejected();
        log.debug("{}: closing {} from a trusted proxy: {}", loop.shared.name(), clientAddress, why);
        close();
    }

    // ---- the ClientHello (SNI routing) ---------------------------------------------------------

    /** Starts waiting for the hello when the service routes by SNI; false when it does not. */
    private boolean awaitHello() {
        SniRouter sni = route.sni();
        if (sni == null) {
            return false;
        }
        awaitingHello = true;
        helloDeadline = loop.now + sni.helloTimeoutNanos();
        return true;
    }

    /**
     * Reads the client's bytes until they hold a whole ClientHello, show they are none, or end.
     * A first read that decides (the usual case) stays in the loop's buffer; else the bytes move
     * to a buffer of the connection's own.
     */
    private void readHello() {
        while (awaitingHello && !closed && client.readable) {
            if (hello != 0 && helloLength == helloCapacity) {
                growHello(); // below MAX_BYTES: a full cap is refused below
            }
            long at = hello != 0 ? hello : loop.buffer;
            int room = (hello != 0 ? helloCapacity : ClientHelloParser.MAX_BYTES) - helloLength;
            long n = LinuxNet.recv(loop.errno, client.fd, at + helloLength, room);
            if (n < 0) {
                int code = loop.errno.get();
                if (code == LinuxNet.EAGAIN) {
                    client.readable = false;
                } else if (code != LinuxNet.EINTR) {
                    log.debug("{}: client {} failed before its ClientHello: {}", loop.shared.name(), clientAddress,
                            LinuxNet.message(code));
                    close();
                }
                continue;
            }
            if (n == 0) {
                route.sni().abandoned();
                log.debug("{}: closing {}: it ended its side before a complete ClientHello", loop.shared.name(),
                        clientAddress);
                close();
                return;
            }
            helloLength += (int) n;
            client.bytesRead += n;
            lastActive = loop.now;
            ClientHelloParser.Result r = ClientHelloParser.parse(
                    MemorySegment.ofAddress(at).reinterpret(helloLength).asByteBuffer());
            if (r == ClientHelloParser.NEED_MORE) {
                if (helloLength < ClientHelloParser.MAX_BYTES) {
                    if (hello == 0) {
                        helloCapacity = Math.min(ClientHelloParser.MAX_BYTES, Math.max(1024, 2 * helloLength));
                        hello = LinuxNet.malloc(helloCapacity);
                        LinuxNet.copy(loop.buffer, hello, helloLength);
                    }
                    continue;
                }
                r = new ClientHelloParser.NotTls("no complete ClientHello in " + helloLength + " bytes");
            }
            if (r instanceof ClientHelloParser.Hello h) {
                routed(route.sni().route(h), at);
            } else {
                noHello(false, ((ClientHelloParser.NotTls) r).reason());
            }
            return;
        }
    }

    /** No valid hello in time: relay to the default group with what was read, or close. */
    private void noHello(boolean timeout, String why) {
        Route fallback = route.sni().fallback(timeout);
        log.debug("{}: {} from {}: {}", loop.shared.name(), fallback != null ? "default group" : "closing",
                clientAddress, why);
        if (fallback == null) {
            close();
        } else {
            routed(fallback, hello != 0 ? hello : loop.buffer);
        }
    }

    /** Dials {@code target}'s group; the {@link #helloLength} bytes at {@code at} go to the backend first. */
    private void routed(Route target, long at) {
        awaitingHello = false;
        route = target;
        attemptsLeft = target.config().attempts(target.group().pool().members().size());
        append(backend, at, helloLength);
        freeHello();
        // client.readable stays as it is: bytes after the hello may wait, and the relay reads them.
        dial();
    }

    private void growHello() {
        int capacity = Math.min(ClientHelloParser.MAX_BYTES, 2 * helloCapacity);
        long bigger = LinuxNet.malloc(capacity);
        LinuxNet.copy(hello, bigger, helloLength);
        LinuxNet.free(hello);
        hello = bigger;
        helloCapacity = capacity;
    }

    private void freeHello() {
        if (hello != 0) {
            LinuxNet.free(hello);
            hello = 0;
        }
        helloCapacity = 0;
        helloLength = 0;
    }

    // ---- connecting ----------------------------------------------------------------------------

    /** Tries hosts until one connect is under way, or none is left. */
    private void dial() {
        while (!closed) {
            if (attemptsLeft == 0) {
                exhausted("tried " + tried.size() + " host(s) of group " + route.group().name() + ", all failed");
                return;
            }
            Optional<Backend> pick = route.group().pick(selection, tried, route.config().maxPerBackend());
            if (pick.isEmpty()) {
                exhausted(Dialer.noneLeft(route, tried.size()));
                return;
            }
            Backend h = pick.get();
            attemptsLeft--;
            tried = Dialer.plus(tried, h);
            host = h;
            h.onConnectStart();
            String failure = connect(h);
            if (failure == null) {
                return;
            }
            connectFailed(failure);
        }
    }

    /** Starts connecting to {@code h}; null when under way (or done), else why it failed at once. */
    private String connect(Backend h) {
        InetSocketAddress target;
        try {
            target = loop.target(h.address(), this);
        } catch (RuntimeException e) {
            return "cannot resolve " + h.address() + ": " + e.getMessage();
        }
        if (target == null) {
            // The name's first lookup runs off the loop; the connect timeout covers the wait.
            awaitingName = true;
            connecting = true;
            connectDeadline = loop.now + route.config().connectTimeout().toNanos();
            return null;
        }
        if (target.isUnresolved()) {
            return "cannot resolve " + h.address();
        }
        LinuxNet.Errno e = loop.errno;
        int family = target.getAddress() instanceof Inet4Address ? LinuxNet.AF_INET : LinuxNet.AF_INET6;
        int fd = LinuxNet.socket(e, family, LinuxNet.SOCK_STREAM | LinuxNet.SOCK_NONBLOCK | LinuxNet.SOCK_CLOEXEC);
        if (fd < 0) {
            return "socket: " + LinuxNet.message(e.get());
        }
        LinuxNet.setInt(e, fd, LinuxNet.IPPROTO_TCP, LinuxNet.TCP_NODELAY, 1);
        if (backend.pendingLength > 0) {
            // Bytes are ready: the handshake's last ACK waits and leaves with them.
            LinuxNet.setInt(e, fd, LinuxNet.IPPROTO_TCP, LinuxNet.TCP_QUICKACK, 0);
        }
        int len = LinuxNet.writeSockaddr(loop.sockaddr, family, target.getAddress(), target.getPort());
        if (LinuxNet.connect(e, fd, loop.sockaddr, len) < 0 && e.get() != LinuxNet.EINPROGRESS) {
            String why = LinuxNet.message(e.get());
            LinuxNet.close(e, fd);
            return why;
        }
        backend.fd = fd;
        connecting = true;
        connectDeadline = loop.now + route.config().connectTimeout().toNanos();
        if (backend.pendingLength > 0) {
            // On loopback and near backends the handshake is often over already: try the send.
            long m = LinuxNet.send(e, fd, backend.pending + backend.pendingOffset, backend.pendingLength);
            if (m >= 0) {
                connecting = false;
                consumed(backend, m);
            } else if (e.get() != LinuxNet.EAGAIN) {
                String why = LinuxNet.message(e.get());
                abandonConnect();
                return why;
            }
        }
        int events = LinuxNet.EPOLLIN | LinuxNet.EPOLLRDHUP | LinuxNet.EPOLLET;
        if (connecting || backend.pendingLength > 0) {
            events |= LinuxNet.EPOLLOUT;
            backend.outArmed = true;
        }
        if (LinuxNet.epollCtl(e, loop.epfd(), LinuxNet.EPOLL_CTL_ADD, fd, events,
                NativeLoop.token(slot, generation, true)) < 0) {
            String why = "epoll_ctl: " + LinuxNet.message(e.get());
            abandonConnect();
            return why;
        }
        if (!connecting) {
            connected();
        }
        return null;
    }

    /** The first lookup of the chosen host's name is over: connect, or move on to the next host. */
    void looked() {
        if (closed || !awaitingName) {
            return;
        }
        awaitingName = false;
        connecting = false;
        String failure = connect(host);
        if (failure != null) {
            connectFailed(failure);
            dial();
        }
    }

    /** Gives up a connect under way; the bytes waiting for the backend stay for the next host. */
    private void abandonConnect() {
        awaitingName = false;
        if (backend.fd >= 0) {
            LinuxNet.close(loop.errno, backend.fd);
            backend.fd = -1;
        }
        backend.outArmed = false;
        backend.readable = false;
        connecting = false;
    }

    private void connectFailed(String why) {
        Backend h = host;
        host = null;
        h.onConnectFailed(why);
        loop.shared.metrics().failover();
        log.debug("connect to {} for {} failed: {}; {} attempt(s) left", h, clientAddress, why, attemptsLeft);
    }

    private void connected() {
        lastActive = loop.now;
        if (spliceAfter == 0) {
            startSplice(client);
            startSplice(backend);
        }
        pump();
    }

    /** The backend sent its FIN or reset before a single byte went either way: try the next host. */
    private boolean redispatch() {
        if (backend.bytesRead != 0 || client.bytesRead != 0 || client.inputShut || closed) {
            return false;
        }
        Backend h = host;
        h.markHealth(HealthState.DOWN, "closed the connection before any byte");
        h.onClosed(0, 0);
        loop.shared.metrics().failover();
        log.debug("{} closed {}'s connection before any byte; {} attempt(s) left", h, clientAddress, attemptsLeft);
        host = null;
        discard(backend);
        backend = new Side(true);
        ProxyProtocol pp = route.config().proxyProtocol();
        if (pp != ProxyProtocol.OFF) {
            stash(backend, loop.buffer, writeProxyHeader(pp));
        }
        dial();
        return true;
    }

    private void exhausted(String why) {
        loop.shared.metrics().noBackend();
        loop.shared.noBackendLog().warn("{}: no backend for client {}: {}; closing it", loop.shared.name(),
                clientAddress, why);
        close();
    }

    // ---- events --------------------------------------------------------------------------------

    /** Epoll reported {@code mask} for one of the two sockets. */
    void onEvent(boolean fromBackend, int mask) {
        if (closed) {
            return;
        }
        Side s = fromBackend ? backend : client;
        if (awaitingHeader) {
            noteEvent(s, mask);
            readHeader();
            return;
        }
        if (awaitingHello) {
            noteEvent(s, mask);
            readHello();
            return;
        }
        if (fromBackend && connecting) {
            if ((mask & (LinuxNet.EPOLLOUT | LinuxNet.EPOLLERR | LinuxNet.EPOLLHUP)) == 0) {
                return;
            }
            if ((mask & (LinuxNet.EPOLLERR | LinuxNet.EPOLLHUP)) != 0) {
                int err = LinuxNet.getInt(loop.errno, s.fd, LinuxNet.SOL_SOCKET, LinuxNet.SO_ERROR);
                if (err != 0 || (mask & LinuxNet.EPOLLOUT) == 0) {
                    abandonConnect();
                    connectFailed(err > 0 ? LinuxNet.message(err) : "connect failed");
                    dial();
                    return;
                }
            }
            connecting = false;
            // EPOLLOUT stays armed: with nothing held for the backend an output event costs no
            // call, and its ACKs mostly arrive with its answers anyway.
            noteEvent(s, mask);
            connected();
            return;
        }
        noteEvent(s, mask);
        pump();
    }

    private static void noteEvent(Side s, int mask) {
        if ((mask & (LinuxNet.EPOLLRDHUP | LinuxNet.EPOLLHUP | LinuxNet.EPOLLERR)) != 0) {
            s.hupSeen = true;
            s.finSeen = (mask & (LinuxNet.EPOLLRDHUP | LinuxNet.EPOLLERR)) == LinuxNet.EPOLLRDHUP;
            s.readable = true;
        } else if ((mask & LinuxNet.EPOLLIN) != 0) {
            s.readable = true;
        }
    }

    /** Moves whatever can move, both ways, then closes the pair when both directions are done. */
    private void pump() {
        if (closed || connecting || backend.fd < 0) {
            return;
        }
        relay(client, backend);
        if (!closed) {
            relay(backend, client);
        }
        if (!closed && client.inputShut && backend.inputShut && !client.holding() && !backend.holding()) {
            close();
        }
    }

    /** Writes what {@code dst} holds, then copies or splices from {@code src} while {@code dst} takes it. */
    private void relay(Side src, Side dst) {
        if ((dst.pendingLength > 0 || src.inPipe > 0) && !flush(dst, src)) {
            return;
        }
        while (src.readable && !src.inputShut && !closed) {
            if (src.pipeIn >= 0) {
                if (!spliceStep(src, dst)) {
                    return;
                }
                continue;
            }
            long n = LinuxNet.recv(loop.errno, src.fd, loop.buffer, NativeLoop.BUFFER);
            if (dst.held && n != 0) {
                release(dst);
            }
            if (n > 0) {
                src.bytesRead += n;
                lastActive = loop.now;
                // After the peer's FIN a short read took the last bytes: hold them for the FIN
                // the next read (the end) brings, so both leave in one segment.
                boolean last = src.finSeen && n < NativeLoop.BUFFER && !dst.inputShut;
                long m = last ? LinuxNet.sendMore(loop.errno, dst.fd, loop.buffer, n)
                        : LinuxNet.send(loop.errno, dst.fd, loop.buffer, n);
                dst.held = last && m == n;
                if (m < 0) {
                    if (loop.errno.get() != LinuxNet.EAGAIN) {
                        failed(dst, loop.errno.get());
                        return;
                    }
                    m = 0;
                }
                if (m < n) {
                    stash(dst, loop.buffer + m, (int) (n - m));
                    armOut(dst);
                    return;
                }
                src.largeRun = n >= Splice.AUTO_LARGE_READ ? src.largeRun + n : 0;
                if (spliceAfter > 0 && src.largeRun >= spliceAfter) {
                    startSplice(src);
                }
                if (n < NativeLoop.BUFFER && !src.hupSeen) {
                    // A short read emptied the socket. Bytes (or a FIN) that arrive after it make
                    // epoll report the socket again, so no read is spent to hear EAGAIN.
                    src.readable = false;
                    return;
                }
            } else if (n == 0) {
                endOfInput(src, dst);
                return;
            } else {
                int code = loop.errno.get();
                if (code == LinuxNet.EAGAIN) {
                    src.readable = false;
                    return;
                }
                if (code != LinuxNet.EINTR) {
                    failed(src, code);
                    return;
                }
            }
        }
    }

    /** Sends bytes held back for a FIN that did not come after all (TCP_NODELAY pushes them). */
    private void release(Side s) {
        s.held = false;
        LinuxNet.setInt(loop.errno, s.fd, LinuxNet.IPPROTO_TCP, LinuxNet.TCP_NODELAY, 1);
    }

    private void endOfInput(Side src, Side dst) {
        src.inputShut = true;
        src.readable = false;
        // Bytes held for this FIN leave with it, from the shutdown or close below.
        dst.held = false;
        if (src.backend && redispatch()) {
            return;
        }
        if (dst.pendingLength > 0 || src.inPipe > 0) {
            dst.shutAfterFlush = true;
        } else if (dst.inputShut && src.pendingLength == 0 && dst.inPipe == 0) {
            // Both ends are done and nothing is held: close() below sends the FIN, a shutdown
            // first would only cost a call.
            close();
        } else if (!dst.outputShut) {
            dst.outputShut = true;
            LinuxNet.shutdown(loop.errno, dst.fd, LinuxNet.SHUT_WR);
        }
    }

    /**
     * Writes what {@code dst} holds (copied bytes, or bytes in {@code src}'s pipe).
     *
     * @return true when nothing is left
     */
    private boolean flush(Side dst, Side src) {
        LinuxNet.Errno e = loop.errno;
        while (dst.pendingLength > 0) {
            long m = LinuxNet.send(e, dst.fd, dst.pending + dst.pendingOffset, dst.pendingLength);
            if (!wrote(dst, m)) {
                return false;
            }
            consumed(dst, Math.max(0, m));
        }
        while (src.inPipe > 0) {
            long m = LinuxNet.splice(e, src.pipeIn, dst.fd, src.inPipe);
            if (!wrote(dst, m)) {
                return false;
            }
            src.inPipe -= Math.max(0, m);
        }
        if (dst.outArmed) {
            disarmOut(dst);
        }
        if (dst.shutAfterFlush && !dst.outputShut) {
            dst.shutAfterFlush = false;
            dst.outputShut = true;
            LinuxNet.shutdown(e, dst.fd, LinuxNet.SHUT_WR);
        }
        return true;
    }

    /**
     * Judges a write (send or splice) of {@code m} bytes to {@code dst}.
     *
     * @return true to write on; false when {@code dst} is full (EPOLLOUT is armed) or failed
     */
    private boolean wrote(Side dst, long m) {
        if (m > 0) {
            lastActive = loop.now;
            return true;
        }
        int code = m < 0 ? loop.errno.get() : LinuxNet.EINTR;
        if (code == LinuxNet.EAGAIN) {
            armOut(dst);
            return false;
        }
        if (code != LinuxNet.EINTR) {
            failed(dst, code);
            return false;
        }
        return true;
    }

    // ---- splice --------------------------------------------------------------------------------

    private void startSplice(Side src) {
        long fds = LinuxNet.pipe(loop.errno);
        if (fds < 0) {
            return; // no pipe (descriptor limit): keep copying
        }
        src.pipeIn = (int) (fds >>> 32);
        src.pipeOut = (int) fds;
        loop.shared.metrics().spliced();
    }

    /**
     * One splice from {@code src} into its pipe, then from the pipe to {@code dst}.
     *
     * @return false when the loop should stop (nothing to read, peer full, or the end)
     */
    private boolean spliceStep(Side src, Side dst) {
        LinuxNet.Errno e = loop.errno;
        long n = LinuxNet.splice(e, src.fd, src.pipeOut, NativeLoop.BUFFER);
        if (n > 0) {
            src.bytesRead += n;
            src.inPipe += n;
            lastActive = loop.now;
            return flush(dst, src);
        }
        if (n == 0) {
            endOfInput(src, dst);
            return false;
        }
        int code = e.get();
        if (code == LinuxNet.EAGAIN) {
            // Either the socket is drained or the pipe is full; the pipe was flushed above, so
            // it is the socket.
            src.readable = false;
            return false;
        }
        if (code != LinuxNet.EINTR) {
            failed(src, code);
            return false;
        }
        return true;
    }

    // ---- buffers and epoll ---------------------------------------------------------------------

    /** Adds {@code length} bytes from {@code address} after those waiting to be written to {@code s}. */
    private static void append(Side s, long address, int length) {
        if (length == 0) {
            return;
        }
        if (s.pendingLength == 0) {
            if (s.pending != 0) {
                LinuxNet.free(s.pending);
                s.pending = 0;
            }
            stash(s, address, length);
            return;
        }
        long buf = LinuxNet.malloc(s.pendingLength + (long) length);
        LinuxNet.copy(s.pending + s.pendingOffset, buf, s.pendingLength);
        LinuxNet.copy(address, buf + s.pendingLength, length);
        LinuxNet.free(s.pending);
        s.pending = buf;
        s.pendingOffset = 0;
        s.pendingLength += length;
    }

    /** Keeps {@code length} bytes from {@code address} to write to {@code s} later. */
    private static void stash(Side s, long address, int length) {
        long buf = LinuxNet.malloc(Math.max(length, 1));
        LinuxNet.copy(address, buf, length);
        s.pending = buf;
        s.pendingOffset = 0;
        s.pendingLength = length;
    }

    private static void consumed(Side s, long m) {
        s.pendingOffset += (int) m;
        s.pendingLength -= (int) m;
        if (s.pendingLength == 0 && s.pending != 0) {
            LinuxNet.free(s.pending);
            s.pending = 0;
            s.pendingOffset = 0;
        }
    }

    private void armOut(Side s) {
        if (!s.outArmed) {
            s.outArmed = true;
            LinuxNet.epollCtl(loop.errno, loop.epfd(), LinuxNet.EPOLL_CTL_MOD, s.fd,
                    LinuxNet.EPOLLIN | LinuxNet.EPOLLOUT | LinuxNet.EPOLLRDHUP | LinuxNet.EPOLLET,
                    NativeLoop.token(slot, generation, s.backend));
        }
    }

    private void disarmOut(Side s) {
        s.outArmed = false;
        LinuxNet.epollCtl(loop.errno, loop.epfd(), LinuxNet.EPOLL_CTL_MOD, s.fd,
                LinuxNet.EPOLLIN | LinuxNet.EPOLLRDHUP | LinuxNet.EPOLLET, NativeLoop.token(slot, generation, s.backend));
    }

    // ---- ends ----------------------------------------------------------------------------------

    /** A read or write on {@code s} failed with {@code code} (a reset, mostly). */
    private void failed(Side s, int code) {
        if (s.backend) {
            loop.shared.metrics().backendError();
            if (redispatch()) {
                return;
            }
        }
        log.debug("{} {} failed: {}", s.backend ? "backend" : "client", s.backend ? host : clientAddress,
                LinuxNet.message(code));
        close();
    }

    /** Called by the loop's sweep: connect and idle timeouts. */
    void checkDeadlines() {
        if (closed) {
            return;
        }
        long now = loop.now;
        if (awaitingHeader) {
            if (now - connectDeadline >= 0) {
                rejectHeader("no complete PROXY header within " + route.config().connectTimeout().toMillis() + " ms");
            }
            return;
        }
        if (awaitingHello) {
            if (now - helloDeadline >= 0) {
                noHello(true, "no ClientHello within " + route.config().clientHelloTimeout().toMillis() + " ms");
            }
            return;
        }
        if (connecting) {
            if (now - connectDeadline >= 0) {
                String what = awaitingName ? "name lookup" : "connect";
                abandonConnect();
                connectFailed(what + " timed out after " + route.config().connectTimeout().toMillis() + " ms");
                dial();
            }
            return;
        }
        long idle = route.config().idleTimeout().toNanos();
        if (idle > 0 && now - lastActive >= idle) {
            log.debug("{}: closing {} after {} idle", loop.shared.name(), clientAddress, route.config().idleTimeout());
            close();
        }
    }

    /** Closes both sockets and settles the counts. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (client.fd >= 0) {
            LinuxNet.close(loop.errno, client.fd);
            client.fd = -1;
        }
        freeBuffers(client);
        freeHello();
        if (host != null) {
            host.onClosed(backend.bytesRead, client.bytesRead);
            host = null;
        }
        discard(backend);
        loop.shared.metrics().closed();
        loop.release(slot);
    }

    /** Closes a side's socket and pipe and frees what it held (its pending bytes are moved out first where kept). */
    private void discard(Side s) {
        if (s.fd >= 0) {
            LinuxNet.close(loop.errno, s.fd);
            s.fd = -1;
        }
        freeBuffers(s);
    }

    private void freeBuffers(Side s) {
        if (s.pending != 0) {
            LinuxNet.free(s.pending);
            s.pending = 0;
            s.pendingLength = 0;
        }
        if (s.pipeIn >= 0) {
            LinuxNet.close(loop.errno, s.pipeIn);
            LinuxNet.close(loop.errno, s.pipeOut);
            s.pipeIn = -1;
            s.pipeOut = -1;
            s.inPipe = 0;
        }
    }
}
