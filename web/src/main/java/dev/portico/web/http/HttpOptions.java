package dev.portico.web.http;

import dev.portico.web.h2.Http2Options;

import java.time.Duration;

/**
 * Limits and timeouts of the HTTP layer.
 *
 * @param maxRequestLine   longest request line (414 above it)
 * @param maxHeaderSize    largest header block in bytes (431 above it)
 * @param maxHeaders       most header fields (431 above it)
 * @param maxBodySize      largest request body (413 above it)
 * @param maxConnections   open connections per service; above it new ones get 503 and a close; 0 until the
 *                         service derives it from the descriptor limit
 *                         ({@link dev.portico.core.limits.DescriptorBudget})
 * @param headerTimeout    time to receive a request's headers once its first byte arrived
 * @param idleTimeout      time a keep-alive connection may wait for its next request once its
 *                         answers have gone out
 * @param bodyTimeout      time between two reads of a request body
 * @param maxPipelined     requests of one connection decoded ahead of the one being answered;
 *                         the connection reads no further until they have their turn
 * @param sendTimeout      longest time answers may wait for the socket without any of their bytes
 *                         leaving (nginx's {@code send_timeout}): a client that stops reading is
 *                         closed after it, keep-alive or not
 * @param http2            HTTP/2 settings and limits (h2c, streams, header list size…)
 */
public record HttpOptions(int maxRequestLine, int maxHeaderSize, int maxHeaders, long maxBodySize,
                          int maxConnections, Duration headerTimeout, Duration idleTimeout, Duration bodyTimeout,
                          int maxPipelined, Duration sendTimeout, Http2Options http2) {

    /** Requests decoded ahead by default. */
    public static final int DEFAULT_MAX_PIPELINED = 16;

    /** How long answers may make no progress by default. */
    public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(60);

    public HttpOptions {
        if (maxPipelined < 1) {
            throw new IllegalArgumentException("maxPipelined must be at least 1, not " + maxPipelined);
        }
        if (sendTimeout == null || sendTimeout.isNegative() || sendTimeout.isZero()) {
            throw new IllegalArgumentException("sendTimeout must be positive, not " + sendTimeout);
        }
        if (http2 == null) {
            throw new IllegalArgumentException("http2 options are required");
        }
    }

    /** Options with the default {@link Http2Options}. */
    public HttpOptions(int maxRequestLine, int maxHeaderSize, int maxHeaders, long maxBodySize, int maxConnections,
                       Duration headerTimeout, Duration idleTimeout, Duration bodyTimeout, int maxPipelined,
                       Duration sendTimeout) {
        this(maxRequestLine, maxHeaderSize, maxHeaders, maxBodySize, maxConnections, headerTimeout, idleTimeout,
                bodyTimeout, maxPipelined, sendTimeout, Http2Options.defaults());
    }

    /** Options with the {@link #DEFAULT_SEND_TIMEOUT}. */
    public HttpOptions(int maxRequestLine, int maxHeaderSize, int maxHeaders, long maxBodySize, int maxConnections,
                       Duration headerTimeout, Duration idleTimeout, Duration bodyTimeout, int maxPipelined) {
        this(maxRequestLine, maxHeaderSize, maxHeaders, maxBodySize, maxConnections, headerTimeout, idleTimeout,
                bodyTimeout, maxPipelined, DEFAULT_SEND_TIMEOUT);
    }

    /** Options with {@link #DEFAULT_MAX_PIPELINED} requests decoded ahead and the {@link #DEFAULT_SEND_TIMEOUT}. */
    public HttpOptions(int maxRequestLine, int maxHeaderSize, int maxHeaders, long maxBodySize, int maxConnections,
                       Duration headerTimeout, Duration idleTimeout, Duration bodyTimeout) {
        this(maxRequestLine, maxHeaderSize, maxHeaders, maxBodySize, maxConnections, headerTimeout, idleTimeout,
                bodyTimeout, DEFAULT_MAX_PIPELINED);
    }

    public static HttpOptions defaults() {
        return new HttpOptions(8192, 16384, 100, 100L << 20, 0,
                Duration.ofSeconds(10), Duration.ofSeconds(75), Duration.ofSeconds(60));
    }

    /** These options with another connection cap. */
    public HttpOptions withMaxConnections(int value) {
        return new HttpOptions(maxRequestLine, maxHeaderSize, maxHeaders, maxBodySize, value, headerTimeout,
                idleTimeout, bodyTimeout, maxPipelined, sendTimeout, http2);
    }

    /** These options with another send timeout. */
    public HttpOptions withSendTimeout(Duration value) {
        return new HttpOptions(maxRequestLine, maxHeaderSize, maxHeaders, maxBodySize, maxConnections, headerTimeout,
                idleTimeout, bodyTimeout, maxPipelined, value, http2);
    }

    /** These options with other HTTP/2 settings. */
    public HttpOptions withHttp2(Http2Options value) {
        return new HttpOptions(maxRequestLine, maxHeaderSize, maxHeaders, maxBodySize, maxConnections, headerTimeout,
                idleTimeout, bodyTimeout, maxPipelined, sendTimeout, value);
    }
}
