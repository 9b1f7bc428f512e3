package dev.portico.web.http;

import io.netty.buffer.ByteBuf;

/** Receives a request body as it streams in, on the connection's event loop. */
public interface BodySink {

    /** A piece of the body; the sink must not keep {@code data} past this call without retaining it. */
    void onData(ByteBuf data) throws Exception;

    /** The whole body has arrived; the sink now answers the exchange. */
    void onEnd() throws Exception;

    /** The client went away or the body was refused; clean up, do not answer. */
    void onAbort();
}
