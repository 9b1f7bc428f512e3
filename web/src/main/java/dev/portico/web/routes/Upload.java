package dev.portico.web.routes;

import java.nio.ByteBuffer;

/**
 * One streamed request body, taken chunk by chunk as it arrives. All calls come on the
 * connection's event loop, in order, so they must not block for long.
 */
public interface Upload {

    /** A piece of the body; the buffer is read-only and only valid during the call. */
    void onChunk(ByteBuffer chunk) throws Exception;

    /** The whole body has arrived; returns the answer. */
    Response onComplete() throws Exception;

    /** The client went away or the body was refused; release what was taken. No answer is sent. */
    default void onAbort() {
    }
}
