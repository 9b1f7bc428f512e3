package dev.portico.web.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

/**
 * A body sink that collects a request body in memory up to a limit and hands it over whole. A
 * body over the limit is answered with 413 and the connection is closed, since the rest of the
 * body would otherwise have to be read and thrown away.
 */
public final class BodyAggregator implements BodySink {

    /** Receives the complete body, on the connection's event loop. */
    @FunctionalInterface
    public interface Completion {
        void accept(byte[] body) throws Exception;
    }

    private final Exchange exchange;
    private final long limit;
    private final Completion completion;
    private ByteBuf buffer;
    private boolean refused;

    /**
     * @param exchange   the exchange whose body this is
     * @param limit      the largest body accepted, in bytes
     * @param completion called with the body once it has all arrived
     */
    public BodyAggregator(Exchange exchange, long limit, Completion completion) {
        this.exchange = exchange;
        this.limit = limit;
        this.completion = completion;
    }

    @Override
    public void onData(ByteBuf data) {
        if (refused) {
            return;
        }
        int n = data.readableBytes();
        int have = buffer == null ? 0 : buffer.readableBytes();
        if (have + (long) n > limit) {
            refused = true;
            release();
            exchange.errorAndClose(413);
            return;
        }
        if (buffer == null) {
            buffer = Unpooled.buffer(n);
        }
        buffer.writeBytes(data, data.readerIndex(), n);
    }

    @Override
    public void onEnd() throws Exception {
        if (refused) {
            return;
        }
        byte[] body = buffer == null ? new byte[0] : ByteBufUtil.getBytes(buffer);
        release();
        completion.accept(body);
    }

    @Override
    public void onAbort() {
        release();
    }

    private void release() {
        if (buffer != null) {
            buffer.release();
            buffer = null;
        }
    }
}
