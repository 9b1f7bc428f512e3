package dev.portico.web.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;

import java.util.List;

/**
 * Netty's request decoder with the framing rules of RFC 9112 §6.3 enforced: a request that
 * carries both Transfer-Encoding and Content-Length is refused rather than repaired, since a
 * repaired request is how smuggling starts. Duplicate Content-Length values and bad chunk sizes
 * already fail in the base decoder; all three end as a decoder failure that the exchange handler
 * answers with 400 and a close. A request target with a fragment, a space or a control byte
 * fails the same way ({@link RequestTarget}).
 *
 * <p>Placed before an {@link HttpConnection}, the decoder also waits for it: between two requests
 * it starts on the next one only when the connection will take it (few enough requests wait and
 * the answers written so far have gone out). Until then the bytes stay here, the socket is not
 * read, and the connection decodes them later.
 */
public final class StrictRequestDecoder extends HttpRequestDecoder {

    /** Thrown inside the decoder; becomes the failed request's cause. */
    public static final class ConflictingFraming extends IllegalArgumentException {
        ConflictingFraming() {
            super("both Transfer-Encoding and Content-Length are present");
        }
    }

    private ChannelHandlerContext ctx;
    private HttpConnection connection;
    /** True between two requests: the next bytes start a request line. */
    private boolean boundary = true;
    /** True when the connection refused the next request and its bytes wait here. */
    private boolean held;
    private boolean decoding;
    /** Where the last word of the request line seen so far ends. */
    private int wordEnd;

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

    // The request line is split by the base decoder on any run of whitespace; these see each word
    // and the bytes between them, and allow exactly one space (RFC 9112 §3), so that a space or a
    // control byte inside the target cannot pass as a separator.

    @Override
    protected String splitFirstWordInitialLine(byte[] line, int start, int length) {
        wordEnd = start + length;
        return super.splitFirstWordInitialLine(line, start, length);
    }

    @Override
    protected String splitSecondWordInitialLine(byte[] line, int start, int length) {
        singleSpace(line, wordEnd, start);
        wordEnd = start + length;
        return super.splitSecondWordInitialLine(line, start, length);
    }

    @Override
    protected String splitThirdWordInitialLine(byte[] line, int start, int length) {
        singleSpace(line, wordEnd, start);
        for (int i = start, end = start + length; i < end; i++) {
            if (line[i] <= ' ' || line[i] == 0x7f) {
                throw new RequestTarget.Refused("space or control byte in the request target");
            }
        }
        return super.splitThirdWordInitialLine(line, start, length);
    }

    private static void singleSpace(byte[] line, int from, int to) {
        if (to - from != 1 || line[from] != ' ') {
            throw new RequestTarget.Refused("space or control byte in the request target");
        }
    }

    @Override
    protected HttpMessage createMessage(String[] initialLine) throws Exception {
        initialLine[1] = RequestTarget.check(initialLine[1]);
        return super.createMessage(initialLine);
    }

    // ---- waiting for the connection ----------------------------------------------------------

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx);
    }

    /** Called by the connection placed after this decoder. */
    void waitFor(HttpConnection connection) {
        this.connection = connection;
    }

    /** True while the next request's bytes wait for the connection. */
    boolean held() {
        return held;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        decoding = true;
        try {
            super.channelRead(ctx, msg);
        } finally {
            decoding = false;
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        if (boundary && connection != null && connection.holdsInput()) {
            held = true;
            // Others may have turned reading on again (a proxied upload's flow control, say).
            ctx.channel().config().setAutoRead(false);
            return;
        }
        held = false;
        int before = out.size();
        super.decode(ctx, buffer, out);
        for (int i = before, n = out.size(); i < n; i++) {
            Object m = out.get(i);
            if (m instanceof LastHttpContent) {
                boundary = true;
            } else if (m instanceof HttpMessage) {
                boundary = false;
            }
        }
    }

    /**
     * Decodes the bytes that waited, once the connection takes requests again; what they hold
     * reaches the connection before this returns.
     *
     * @return false when there was nothing to do (not held, or already decoding)
     */
    boolean resume() {
        if (!held || decoding || ctx == null) {
            return false;
        }
        held = false;
        try {
            channelRead(ctx, Unpooled.EMPTY_BUFFER);
        } catch (Exception e) {
            ctx.fireExceptionCaught(e);
        }
        return true;
    }
}
