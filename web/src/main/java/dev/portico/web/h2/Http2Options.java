package dev.portico.web.h2;

import dev.portico.core.config.Durations;
import dev.portico.core.config.Section;
import dev.portico.core.config.Sizes;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * HTTP/2 settings and limits of a web or proxy service (its {@code http2:} section). They apply to
 * h2 chosen by ALPN on a TLS listener and to h2c with prior knowledge on a plain one.
 *
 * @param h2c                    true to accept h2c with prior knowledge on plain listeners
 * @param maxConcurrentStreams   streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS);
 *                               more are refused with RST_STREAM REFUSED_STREAM
 * @param maxHeaderListSize      decoded size of a request's header list (SETTINGS_MAX_HEADER_LIST_SIZE);
 *                               above it the request gets 431, and a quarter above it the connection ends
 * @param initialWindowSize      the stream flow-control window granted for request bodies
 * @param maxFrameSize           the largest frame the client may send (SETTINGS_MAX_FRAME_SIZE)
 * @param maxResets              stream resets a client may cause within {@code resetWindow} before the
 *                               connection ends with GOAWAY ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487)
 * @param resetWindow            the window {@code maxResets} counts in
 * @param maxQueuedControlFrames control frames (PING and SETTINGS acknowledgements, resets) queued for
 *                               a client that does not read before the connection is closed
 */
public record Http2Options(boolean h2c, int maxConcurrentStreams, int maxHeaderListSize, int initialWindowSize,
                           int maxFrameSize, int maxResets, Duration resetWindow, int maxQueuedControlFrames) {

    /** The smallest and largest SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.2). */
    static final int MIN_FRAME = 16_384;
    static final int MAX_FRAME = 16_777_215;

    public Http2Options {
        if (maxConcurrentStreams < 1) {
            throw new IllegalArgumentException("max_concurrent_streams must be at least 1, not " + maxConcurrentStreams);
        }
        if (maxHeaderListSize < 1024) {
            throw new IllegalArgumentException("max_header_list_size must be at least 1k, not " + maxHeaderListSize);
        }
        if (initialWindowSize < 1) {
            throw new IllegalArgumentException("initial_window_size must be positive, not " + initialWindowSize);
        }
        if (maxFrameSize < MIN_FRAME || maxFrameSize > MAX_FRAME) {
            throw new IllegalArgumentException("max_frame_size must be 16k to 16m-1, not " + maxFrameSize);
        }
        if (maxResets < 1 || resetWindow == null || resetWindow.toSeconds() < 1) {
            throw new IllegalArgumentException("max_resets must be positive and reset_window at least 1s");
        }
        if (maxQueuedControlFrames < 1) {
            throw new IllegalArgumentException("max_queued_control_frames must be positive, not " + maxQueuedControlFrames);
        }
    }

    /** h2c off; 128 streams, 16 KiB of headers, 64 KiB windows, 16 KiB frames, 200 resets in 30 s, 10000 control frames. */
    public static Http2Options defaults() {
        return new Http2Options(false, 128, 16 * 1024, 65_535, MIN_FRAME, 200, Duration.ofSeconds(30), 10_000);
    }

    /** These options with h2c on or off. */
    public Http2Options withH2c(boolean on) {
        return new Http2Options(on, maxConcurrentStreams, maxHeaderListSize, initialWindowSize, maxFrameSize, maxResets,
                resetWindow, maxQueuedControlFrames);
    }

    /** Reads an {@code http2:} section; absent keys keep their default. */
    public static Http2Options parse(Section s) {
        Http2Options d = defaults();
        boolean h2c = s.bool("h2c", d.h2c());
        int streams = s.integer("max_concurrent_streams", d.maxConcurrentStreams(), 1, 100_000);
        long headers = s.size("max_header_list_size", d.maxHeaderListSize());
        if (headers < 1024 || headers > 1 << 24) {
            s.problem("max_header_list_size", "'" + s.path() + ".max_header_list_size' must be 1k to 16m");
            headers = d.maxHeaderListSize();
        }
        long window = s.size("initial_window_size", d.initialWindowSize());
        if (window < 1 || window > Integer.MAX_VALUE) {
            s.problem("initial_window_size", "'" + s.path() + ".initial_window_size' must be 1 to 2g-1");
            window = d.initialWindowSize();
        }
        long frame = s.size("max_frame_size", d.maxFrameSize());
        if (frame < MIN_FRAME || frame > MAX_FRAME) {
            s.problem("max_frame_size", "'" + s.path() + ".max_frame_size' must be 16k to 16m-1");
            frame = d.maxFrameSize();
        }
        int resets = s.integer("max_resets", d.maxResets(), 1, 1_000_000);
        Duration resetWindow = s.duration("reset_window", d.resetWindow());
        if (resetWindow.toSeconds() < 1) {
            s.problem("reset_window", "'" + s.path() + ".reset_window' must be at least 1s");
            resetWindow = d.resetWindow();
        }
        int control = s.integer("max_queued_control_frames", d.maxQueuedControlFrames(), 1, 10_000_000);
        s.finish();
        return new Http2Options(h2c, streams, (int) headers, (int) window, (int) frame, resets, resetWindow, control);
    }

    /** The section {@link #parse} reads back to these options. */
    public Map<String, Object> toYaml() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("h2c", h2c);
        m.put("max_concurrent_streams", maxConcurrentStreams);
        m.put("max_header_list_size", Sizes.format(maxHeaderListSize));
        m.put("initial_window_size", Sizes.format(initialWindowSize));
        m.put("max_frame_size", Sizes.format(maxFrameSize));
        m.put("max_resets", maxResets);
        m.put("reset_window", Durations.format(resetWindow));
        m.put("max_queued_control_frames", maxQueuedControlFrames);
        return m;
    }
}
