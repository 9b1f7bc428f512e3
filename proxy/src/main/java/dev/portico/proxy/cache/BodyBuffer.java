package dev.portico.proxy.cache;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.Arrays;

/**
 * A copy of a response body as it streams past, up to a limit. Past the limit the copy is
 * dropped and the body can no longer be stored; the response itself is unaffected.
 */
public final class BodyBuffer {

    private final long limit;
    private byte[] bytes;
    private int length;
    private boolean overflowed;

    /**
     * @param limit    the largest body kept
     * @param expected the announced length, or -1
     */
    public BodyBuffer(long limit, long expected) {
        this.limit = limit;
        this.bytes = new byte[(int) Math.min(expected > 0 ? expected : 4096, Math.min(limit, 1 << 20))];
    }

    /** Copies the readable bytes of {@code data} (its indexes do not move). */
    public void add(ByteBuf data) {
        if (overflowed) {
            return;
        }
        int n = data.readableBytes();
        if ((long) length + n > limit) {
            overflowed = true;
            bytes = null;
            return;
        }
        if (length + n > bytes.length) {
            bytes = Arrays.copyOf(bytes, (int) Math.min(limit, Math.max((long) bytes.length * 2, (long) length + n)));
        }
        data.getBytes(data.readerIndex(), bytes, length, n);
        length += n;
    }

    /** True when {@code n} more bytes can still be kept. */
    public boolean fits(int n) {
        return !overflowed && (long) length + n <= limit;
    }

    /** The number of bytes kept so far. */
    public int length() {
        return length;
    }

    /** A view of the bytes kept so far (not a copy); empty after an overflow. */
    public ByteBuf contents() {
        return overflowed ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes, 0, length);
    }

    /** True once the body went past the limit. */
    public boolean overflowed() {
        return overflowed;
    }

    /** The body, exactly sized; null after an overflow. */
    public byte[] bytes() {
        return overflowed ? null : bytes.length == length ? bytes : Arrays.copyOf(bytes, length);
    }
}
