package dev.portico.tunnel;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Compresses and expands single packets, for one direction of one tunnel (not thread-safe). zlib
 * frames hold a zlib stream, lz4 frames an LZ4 block; either expands to at most the MTU, so a
 * frame that claims more is rejected rather than inflated.
 */
final class PacketCompressor implements AutoCloseable {

    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();

    private final SessionConfig.Compression mode;
    private final int mtu;
    private Deflater deflater;
    private Inflater inflater;
    private LZ4Compressor lz4;
    private LZ4SafeDecompressor unlz4;

    PacketCompressor(SessionConfig.Compression mode, int mtu) {
        this.mode = mode;
        this.mtu = mtu;
    }

    /** Whether a packet of {@code length} bytes is worth trying: compression on and well below the MTU. */
    boolean worthTrying(int length) {
        return mode != SessionConfig.Compression.OFF && length < mtu - FrameCodec.COMPRESS_BELOW_MTU;
    }

    /**
     * Compresses the bytes of {@code src} between its position and limit into {@code dst} from its
     * position, when that saves bytes.
     *
     * @return the flag for the frame and the compressed length as {@code flag << 16 | length}, or
     *         -1 when the packet goes as it is
     */
    int compress(ByteBuffer src, ByteBuffer dst) {
        int length = src.remaining();
        int room = Math.min(dst.remaining(), length - 1);
        if (room <= 0) {
            return -1;
        }
        switch (mode) {
            case ZLIB -> {
                if (deflater == null) {
                    deflater = new Deflater(Deflater.BEST_SPEED);
                }
                deflater.reset();
                deflater.setInput(src.duplicate());
                deflater.finish();
                ByteBuffer out = dst.duplicate();
                out.limit(out.position() + room);
                int n = deflater.deflate(out);
                if (!deflater.finished() || n >= length) {
                    return -1;
                }
                return FrameCodec.FLAG_ZLIB << 16 | n;
            }
            case LZ4 -> {
                if (lz4 == null) {
                    lz4 = LZ4.fastCompressor();
                }
                if (dst.remaining() < lz4.maxCompressedLength(length)) {
                    return -1;
                }
                int n = lz4.compress(src, src.position(), length, dst, dst.position(), dst.remaining());
                return n >= length ? -1 : FrameCodec.FLAG_LZ4 << 16 | n;
            }
            default -> {
                return -1;
            }
        }
    }

    /**
     * Expands a compressed packet (flags {@link FrameCodec#FLAG_ZLIB} or {@link FrameCodec#FLAG_LZ4})
     * from {@code src}'s remaining bytes into {@code dst} from position 0.
     *
     * @return the packet's length, or -1 when the frame is malformed or would expand past the MTU
     */
    int expand(int flags, ByteBuffer src, ByteBuffer dst) {
        int max = Math.min(mtu, dst.capacity());
        if (flags == FrameCodec.FLAG_ZLIB) {
            if (inflater == null) {
                inflater = new Inflater();
            }
            inflater.reset();
            inflater.setInput(src);
            ByteBuffer out = dst.duplicate().clear().limit(max);
            try {
                int n = inflater.inflate(out);
                if (!inflater.finished() || inflater.getRemaining() != 0) {
                    return -1; // truncated, longer than the MTU, or trailing bytes
                }
                return n;
            } catch (DataFormatException e) {
                return -1;
            }
        }
        if (flags == FrameCodec.FLAG_LZ4) {
            if (unlz4 == null) {
                unlz4 = LZ4.safeDecompressor();
            }
            try {
                return unlz4.decompress(src, src.position(), src.remaining(), dst, 0, max);
            } catch (LZ4Exception e) {
                return -1;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        if (deflater != null) {
            deflater.end();
        }
        if (inflater != null) {
            inflater.end();
        }
    }
}
