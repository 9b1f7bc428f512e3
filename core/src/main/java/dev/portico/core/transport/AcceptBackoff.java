package dev.portico.core.transport;

import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Sits on a listening socket and takes the errors of {@code accept(2)}: out of file descriptors
 * ({@code EMFILE}, {@code ENFILE}) or memory, the connection stays in the kernel's backlog and the
 * socket stays readable, so retrying at once would spin. Accepting pauses for {@link #PAUSE_MILLIS}
 * instead, and the failure is logged at most once per {@link #LOG_EVERY_NANOS}, with how many
 * accepts failed meanwhile. One instance serves every socket of a {@link TcpListener}.
 */
@ChannelHandler.Sharable
final class AcceptBackoff extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(AcceptBackoff.class);

    static final long PAUSE_MILLIS = 100;
    static final long LOG_EVERY_NANOS = 10_000_000_000L;

    private final LongSupplier nanos;
    private long lastLog;
    private boolean logged;
    private long failures;

    AcceptBackoff(LongSupplier nanos) {
        this.nanos = nanos;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        ChannelConfig config = ctx.channel().config();
        if (config.isAutoRead()) {
            config.setAutoRead(false);
            ctx.channel().eventLoop().schedule(() -> config.setAutoRead(true), PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        }
        note(ctx.channel().localAddress(), cause);
    }

    private void note(Object address, Throwable cause) {
        long skipped;
        synchronized (this) {
            failures++;
            long now = nanos.getAsLong();
            if (logged && now - lastLog < LOG_EVERY_NANOS) {
                return;
            }
            logged = true;
            lastLog = now;
            skipped = failures - 1;
            failures = 0;
        }
        log.warn("cannot accept on {}: {}; pausing accepts for {} ms at a time{}", address, cause.getMessage(),
                PAUSE_MILLIS, skipped > 0 ? " (" + skipped + " more failures since the last such line)" : "");
    }
}
