package dev.portico.proxy;

import dev.portico.web.http.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;

/**
 * What a {@link ProxyExchange} tells the cache in front of it, all on the exchange's event loop.
 * After {@link #onResponse} exactly one of {@link #onEnd} and {@link #onAbort} follows.
 */
interface ExchangeHooks {

    /** Adjusts the headers sent to the backend (conditional requests). */
    void request(HttpHeaders out);

    /** The method sent to the backend for the client's {@code asked} (the cache fetches a HEAD with GET). */
    default HttpMethod method(HttpMethod asked) {
        return asked;
    }

    /**
     * Asked once after {@link #onResponse} returned true: false when the hooks need none of the
     * body, so the upstream connection is closed at once instead of being read to its end (and
     * neither {@link #onEnd} nor {@link #onAbort} follows).
     */
    default boolean wantsBody() {
        return true;
    }

    /**
     * The backend's final response head, before anything is written to the client.
     *
     * @return true when the hooks answered the client themselves: the response is then read to
     *         its end and dropped (its body still goes to {@link #onBody})
     */
    boolean onResponse(HttpResponse r);

    /** Adds the cache's headers to a head about to go to the client (relayed or an error). */
    void decorate(ResponseHead h);

    /**
     * The Content-Length the client is told for a relayed body of {@code length} bytes (a
     * slice's, when the hooks relay a range).
     */
    default long relayedLength(long length) {
        return length;
    }

    /**
     * The part of a relayed body piece the client gets: {@code data} itself, or a slice of it
     * when the hooks relay a range of the body (not retained; indexes of {@code data} unchanged).
     */
    default ByteBuf relayed(ByteBuf data) {
        return data;
    }

    /**
     * A response the hooks took and give back to be relayed after all.
     *
     * @param head      the head for the client
     * @param length    the body length the client is told, or -1 for a chunked body
     * @param bodySoFar the body up to and with the piece last given to {@link #onBody}, relayed
     *                  first (through {@link #relayed}); the exchange releases it
     */
    record Resumed(ResponseHead head, long length, ByteBuf bodySoFar) {
    }

    /**
     * Asked after each body piece of a response the hooks took ({@link #onResponse} returned
     * true), once it went to {@link #onBody} (and, for the last, {@link #onEnd}): non-null when
     * the hooks give the response back to the relay, which then begins the client's response.
     */
    default Resumed resumeRelay() {
        return null;
    }

    /**
     * Asked after each relayed body piece that is not the last: true when the client has all of
     * the body it gets (the last byte of a slice went out). The exchange then ends the client's
     * response and closes the upstream connection rather than reading the rest; {@link #onAbort}
     * follows instead of {@link #onEnd}.
     */
    default boolean relayComplete() {
        return false;
    }

    /** A piece of the response body, as relayed (indexes must not move). */
    void onBody(ByteBuf data);

    /**
     * The response ended as its framing says. Called before the end of the response is written
     * to the client, so that whatever the client asks next already finds what this stores.
     */
    void onEnd();

    /** The response ended early or broken: it must not be kept. */
    void onAbort();

    /**
     * The exchange failed before any response: the hooks may answer instead.
     *
     * @return true when they answered the client
     */
    boolean onFail(int status, String reason);
}
