package dev.portico.web.files;

import dev.portico.web.http.Exchange;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Sends a large file gzip-compressed as a chunked response, one block per write, waiting for
 * each write to complete before reading the next block, so memory stays at one block however slow
 * the client. The compressed bytes are also written to the gzip store and committed only when the
 * whole file went through.
 */
final class GzipStreamer {

    private static final Logger log = LoggerFactory.getLogger(GzipStreamer.class);
    private static final int BLOCK = 64 * 1024;

    private final Exchange exchange;
    private final FileChannel file;
    private final GzipEncoder encoder;
    private final GzipStore.Tee tee;
    private final byte[] block = new byte[BLOCK];
    private final long size;
    private long position;

    GzipStreamer(Exchange exchange, FileChannel file, long size, int level, GzipStore.Tee tee) {
        this.exchange = exchange;
        this.file = file;
        this.size = size;
        this.encoder = new GzipEncoder(level);
        this.tee = tee;
    }

    /** Sends the next block; called again when its write completes. */
    void next() {
        try {
            ByteBuffer buf = ByteBuffer.wrap(block);
            int n = 0;
            while (buf.hasRemaining() && position + n < size) {
                int r = file.read(buf, position + n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
            position += n;
            boolean last = n == 0 || position >= size;
            byte[] out = encoder.encode(block, 0, n, last);
            if (tee != null) {
                tee.write(out, 0, out.length);
            }
            exchange.writeChunk(Unpooled.wrappedBuffer(out)).addListener(f -> {
                if (!f.isSuccess()) {
                    cleanUp(false);
                } else if (last) {
                    cleanUp(true);
                    exchange.endChunked();
                } else {
                    exchange.context().executor().execute(this::next);
                }
            });
        } catch (IOException | RuntimeException e) {
            log.warn("gzip stream of {} failed: {}", exchange.rawPath(), e.toString());
            cleanUp(false);
            exchange.abort();
        }
    }

    private void cleanUp(boolean complete) {
        encoder.end();
        try {
            file.close();
        } catch (IOException e) {
            log.debug("close: {}", e.toString());
        }
        if (tee != null) {
            if (complete) {
                try {
                    tee.commit();
                } catch (IOException e) {
                    log.warn("cannot store gzip variant: {}", e.toString());
                }
            }
            tee.close();
        }
    }
}
