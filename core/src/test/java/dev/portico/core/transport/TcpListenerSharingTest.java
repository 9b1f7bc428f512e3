package dev.portico.core.transport;

import dev.portico.core.net.HostPort;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A listener never joins the SO_REUSEPORT group of another process's socket, but a process may
 * bind its own address again (a reload) while the old sockets are open.
 */
@Timeout(30)
class TcpListenerSharingTest {

    private Transport transport;
    private EventLoopGroup group;

    @BeforeEach
    void start() {
        transport = Transport.select(null);
        group = transport.newGroup(2, "sharing-test");
    }

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 100, java.util.concurrent.TimeUnit.MILLISECONDS).awaitUninterruptibly();
    }

    private static ChannelInitializer<Channel> nothing() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.close();
            }
        };
    }

    /** A socket of "another process": SO_REUSEPORT set, as a second Portico would have it. */
    private static ServerSocket foreignListener() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        s.bind(new InetSocketAddress("127.0.0.1", 0));
        return s;
    }

    @Test
    void anAddressAnotherSocketListensOnIsRefusedWithAClearMessage() throws Exception {
        try (ServerSocket other = foreignListener()) {
            HostPort address = new HostPort("127.0.0.1", other.getLocalPort());
            assertThatThrownBy(() -> TcpListener.bind(transport, group, address, 16, nothing()))
                    .isInstanceOf(IOException.class)
                    .hasMessage("address 127.0.0.1:" + other.getLocalPort() + " is in use by another process");
            assertThat(transport.listening().holds(ListenAddresses.Protocol.TCP,
                    new InetSocketAddress("127.0.0.1", other.getLocalPort()))).isFalse();
        }
    }

    @Test
    void theWildcardAddressIsRefusedWhenAnotherSocketHoldsOneOfItsAddresses() throws Exception {
        try (ServerSocket other = foreignListener()) {
            HostPort address = new HostPort("0.0.0.0", other.getLocalPort());
            assertThatThrownBy(() -> TcpListener.bind(transport, group, address, 16, nothing()))
                    .hasMessage("address 0.0.0.0:" + other.getLocalPort() + " is in use by another process");
        }
    }

    @Test
    void theProcessMayBindItsOwnAddressAgainWhileTheOldSocketsAreOpen() throws Exception {
        try (TcpListener first = TcpListener.bind(transport, group, new HostPort("127.0.0.1", 0), 16, nothing())) {
            int port = first.localAddress().getPort();
            assumeTrue(transport.supportsReusePort(), "NIO has one socket per address");
            try (TcpListener second = TcpListener.bind(transport, group, new HostPort("127.0.0.1", port), 16, nothing())) {
                assertThat(second.localAddress().getPort()).isEqualTo(port);
                first.close();
                try (Socket client = new Socket("127.0.0.1", port)) {
                    assertThat(client.isConnected()).isTrue();
                }
            }
            // every socket is closed and forgotten: the address is free for anyone again
            assertThat(transport.listening().holds(ListenAddresses.Protocol.TCP,
                    new InetSocketAddress("127.0.0.1", port))).isFalse();
            try (ServerSocket again = new ServerSocket()) {
                again.bind(new InetSocketAddress("127.0.0.1", port));
            }
        }
    }

    @Test
    void aHandOverJoinsTheOtherProcessOnPurpose() throws Exception {
        assumeTrue(transport.supportsReusePort(), "NIO has no SO_REUSEPORT");
        transport.listening().handover(true);
        try (ServerSocket other = foreignListener();
             TcpListener joined = TcpListener.bind(transport, group, new HostPort("127.0.0.1", other.getLocalPort()), 16, nothing())) {
            assertThat(joined.localAddress().getPort()).isEqualTo(other.getLocalPort());
        }
    }

    @Test
    void anUnknownHostIsLeftToTheBindToReport() {
        assertThatThrownBy(() -> TcpListener.bind(transport, group, new HostPort("no-such-host.invalid", 8080), 16, nothing()))
                .isInstanceOf(IOException.class).hasMessageStartingWith("cannot listen on no-such-host.invalid:8080");
    }

    @Test
    void aUdpAddressAnotherSocketHoldsIsRefused() throws Exception {
        try (DatagramSocket other = new DatagramSocket(null)) {
            other.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            other.bind(new InetSocketAddress("127.0.0.1", 0));
            InetSocketAddress at = new InetSocketAddress("127.0.0.1", other.getLocalPort());
            assertThatThrownBy(() -> transport.listening().claim(ListenAddresses.Protocol.UDP, at,
                    new HostPort("127.0.0.1", other.getLocalPort())))
                    .hasMessage("udp address 127.0.0.1:" + other.getLocalPort() + " is in use by another process");
        }
    }
}
