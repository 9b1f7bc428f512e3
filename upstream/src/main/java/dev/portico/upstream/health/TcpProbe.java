package dev.portico.upstream.health;

import dev.portico.upstream.Backend;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.concurrent.CompletableFuture;

/** Passes when a TCP connection to the backend (or check port) opens; then closes it. */
final class TcpProbe implements Probe {

    private final Connector connector;

    TcpProbe(Connector connector) {
        this.connector = connector;
    }

    @Override
    public CompletableFuture<ProbeResult> check(Backend backend) {
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        long started = System.nanoTime();
        connector.connect(backend, new ChannelInboundHandlerAdapter()).addListener(future -> {
            if (future.isSuccess()) {
                long micros = (System.nanoTime() - started) / 1_000;
                ((io.netty.channel.ChannelFuture) future).channel().close();
                result.complete(ProbeResult.passed("tcp connect to " + connector.target(backend) + " in "
                        + micros / 1000 + "." + String.format("%03d", micros % 1000) + "ms"));
            } else {
                result.complete(ProbeResult.failed("tcp connect to " + connector.target(backend) + ": "
                        + ProbeResult.failed(future.cause()).detail()));
            }
        });
        return result;
    }

    @Override
    public String toString() {
        return "tcp";
    }
}
