package dev.portico.lb;

import dev.portico.core.transport.IdleTimer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * The receive-buffer allocator of a channel that may be spliced: its handle sees every read the
 * channel makes, into a buffer or spliced into a pipe ({@code spliceTo} reports each splice(2)
 * result to the same handle), so {@link #bytes()} is exact either way, and each read counts as
 * traffic for the idle timer. Everything else is left to the allocator it wraps.
 *
 * <p>A channel makes its handle on its first read and keeps it, so this must be installed
 * before that: {@link LbService} does it when a connection is accepted and {@link Dialer} when
 * a backend channel is made.
 */
final class CountingRecvAllocator implements RecvByteBufAllocator {

    private final RecvByteBufAllocator delegate;
    private long bytes;
    private IdleTimer idle;

    CountingRecvAllocator(RecvByteBufAllocator delegate) {
        this.delegate = delegate;
    }

    /** Installs a counting allocator on {@code config}, wrapping the one it has. */
    static CountingRecvAllocator install(ChannelConfig config) {
        CountingRecvAllocator counting = new CountingRecvAllocator(config.getRecvByteBufAllocator());
        config.setRecvByteBufAllocator(counting);
        return counting;
    }

    /** Bytes read so far. */
    long bytes() {
        return bytes;
    }

    /** Counts bytes read outside the handle (drained directly from the socket). */
    void add(long n) {
        bytes += n;
    }

    /** Tells {@code timer} of every read from now on. */
    void idle(IdleTimer timer) {
        this.idle = timer;
    }

    @Override
    public Handle newHandle() {
        return new Counting((ExtendedHandle) delegate.newHandle());
    }

    private final class Counting implements ExtendedHandle {
        private final ExtendedHandle handle;

        Counting(ExtendedHandle handle) {
            this.handle = handle;
        }

        @Override
        public void lastBytesRead(int n) {
            if (n > 0) {
                bytes += n;
                IdleTimer t = idle;
                if (t != null) {
                    t.touch();
                }
            }
            handle.lastBytesRead(n);
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            return handle.allocate(alloc);
        }

        @Override
        public int guess() {
            return handle.guess();
        }

        @Override
        public void reset(ChannelConfig config) {
            handle.reset(config);
        }

        @Override
        public void incMessagesRead(int numMessages) {
            handle.incMessagesRead(numMessages);
        }

        @Override
        public int lastBytesRead() {
            return handle.lastBytesRead();
        }

        @Override
        public void attemptedBytesRead(int n) {
            handle.attemptedBytesRead(n);
        }

        @Override
        public int attemptedBytesRead() {
            return handle.attemptedBytesRead();
        }

        @Override
        public boolean continueReading() {
            return handle.continueReading();
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return handle.continueReading(maybeMoreDataSupplier);
        }

        @Override
        public void readComplete() {
            handle.readComplete();
        }
    }
}
