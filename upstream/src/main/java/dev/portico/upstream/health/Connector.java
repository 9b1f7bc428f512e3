package dev.portico.upstream.health;

import dev.portico.upstream.Backend;
import dev.portico.upstream.BackendAddresses;
import dev.portico.core.net.HostPort;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;

import java.time.Duration;

/** Opens probe connections on the caller's transport. */
final class Connector {

    private final ProbeTransport transport;
    private final Duration timeout;
    private final int portOverride;
    /** Names of probed backends are looked up on the transport's blocking executor, never on a loop. */
    private final BackendAddresses addresses;

    Connector(ProbeTransport transport, Duration timeout, int portOverride) {
        this.transport = transport;
        this.addresses = new BackendAddresses(transport.blockingExecutor());
        this.timeout = timeout;
        this.portOverride = portOverride;
    }

    io.netty.channel.EventLoopGroup group() {
        return transport.group();
    }

    Duration timeout() {
        return timeout;
    }

    HostPort target(Backend backend) {
        return portOverride == 0 ? backend.address() : backend.address().withPort(portOverride);
    }

    ChannelFuture connect(Backend backend, ChannelHandler handler) {
        Bootstrap b = new Bootstrap()
                .group(transport.group())
                .channelFactory(transport.channelFactory())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .option(ChannelOption.SO_KEEPALIVE, false)
                .handler(handler);
        return addresses.connect(b, target(backend), timeout);
    }
}
