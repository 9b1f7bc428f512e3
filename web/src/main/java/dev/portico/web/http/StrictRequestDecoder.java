package dev.portico.web.http;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;

/**
 * Netty's request decoder with the framing rules of RFC 9112 §6.3 enforced: a request that
 * carries both Transfer-Encoding and Content-Length is refused rather than repaired, since a
 * repaired request is how smuggling starts. Duplicate Content-Length values and bad chunk sizes
 * already fail in the base decoder; all three end as a decoder failure that the exchange handler
 * answers with 400 and a close.
 */
public final class StrictRequestDecoder extends HttpRequestDecoder {

    /** Thrown inside the decoder; becomes the failed request's cause. */
    public static final class ConflictingFraming extends IllegalArgumentException {
        ConflictingFraming() {
            super("both Transfer-Encoding and Content-Length are present");
        }
    }

    public StrictRequestDecoder(int maxRequestLine, int maxHeaderSize) {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(maxRequestLine)
                .setMaxHeaderSize(maxHeaderSize)
                .setMaxChunkSize(64 * 1024)
                .setAllowDuplicateContentLengths(false)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true)
                .setValidateHeaders(true));
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        throw new ConflictingFraming();
    }
}
