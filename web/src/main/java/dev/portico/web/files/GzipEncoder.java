package dev.portico.web.files;

import java.io.ByteArrayOutputStream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A gzip member produced piece by piece: the header with the first piece, deflate output for each
 * piece, and the CRC-32 and length trailer with the last. One encoder per stream; call
 * {@link #end()} to free the native deflater.
 */
public final class GzipEncoder implements AutoCloseable {

    private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

    private final Deflater deflater;
    private final CRC32 crc = new CRC32();
    private final byte[] buffer = new byte[32 * 1024];
    private boolean headerWritten;
    private long inputLength;

    public GzipEncoder(int level) {
        this.deflater = new Deflater(level, true);
    }

    /** Compresses a whole array at once. */
    public static byte[] compress(byte[] input, int level) {
        try (GzipEncoder e = new GzipEncoder(level)) {
            return e.encode(input, 0, input.length, true);
        }
    }

    /**
     * Compresses the next piece.
     *
     * @param last true for the final piece: the stream is finished and the trailer added
     * @return the bytes to send for this piece (may be only the header)
     */
    public byte[] encode(byte[] input, int offset, int length, boolean last) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, length / 2));
        if (!headerWritten) {
            out.writeBytes(HEADER);
            headerWritten = true;
        }
        crc.update(input, offset, length);
        inputLength += length;
        deflater.setInput(input, offset, length);
        if (last) {
            deflater.finish();
            while (!deflater.finished()) {
                int n = deflater.deflate(buffer, 0, buffer.length, Deflater.NO_FLUSH);
                out.write(buffer, 0, n);
            }
            long c = crc.getValue();
            writeIntLe(out, (int) c);
            writeIntLe(out, (int) inputLength);
        } else {
            int n;
            do {
                n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
                out.write(buffer, 0, n);
            } while (n == buffer.length);
        }
        return out.toByteArray();
    }

    private static void writeIntLe(ByteArrayOutputStream out, int v) {
        out.write(v & 0xff);
        out.write(v >>> 8 & 0xff);
        out.write(v >>> 16 & 0xff);
        out.write(v >>> 24 & 0xff);
    }

    /** Frees the deflater. */
    public void end() {
        deflater.end();
    }

    @Override
    public void close() {
        end();
    }
}
