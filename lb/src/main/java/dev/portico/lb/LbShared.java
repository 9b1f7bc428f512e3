package dev.portico.lb;

import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.DatagramChannel;

import java.util.function.Supplier;

/**
 * What every connection and session of one service shares: its name, the current route, the
 * dialer, the counters, the channel group closed on stop, and the rate-limited warning for
 * "no backend".
 *
 * @param name          the service name
 * @param route         the route new connections and sessions get, read at their start
 * @param dialer        connects TCP clients to backends
 * @param metrics       the service's counters
 * @param channels      every open channel, closed on stop
 * @param noBackendLog  the warning logged when a client cannot be placed
 * @param datagramClass the transport's datagram channel class, for UDP sessions
 */
record LbShared(String name, Supplier<Route> route, Dialer dialer, LbMetrics metrics, ChannelGroup channels,
                RateLimitedLog noBackendLog, Class<? extends DatagramChannel> datagramClass) {
}
