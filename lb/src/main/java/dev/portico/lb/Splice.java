package dev.portico.lb;

import java.util.Locale;

/**
 * Whether a TCP service relays with splice(2), moving bytes from one socket to the other through
 * a kernel pipe without copying them into the JVM. Splicing needs both channels on the epoll
 * transport; on io_uring and NIO every mode copies.
 */
public enum Splice {
    /**
     * Copy first; splice a direction once it has carried {@link #AUTO_THRESHOLD} bytes in an
     * unbroken run of large reads (each at least {@link #AUTO_LARGE_READ} bytes), as a download or
     * an upload does. Short exchanges cost no pipe, and a long-lived connection of small requests
     * and answers stays copied: spliced, each small message would cost two splice calls and a
     * task instead of one read and one write (measured: keep-alive 1 KiB through one worker went
     * from 27k to 21k rps when such connections were spliced after 256 KiB in total).
     */
    AUTO,
    /** Splice both directions from the first byte. */
    ON,
    /** Always copy through pooled buffers. */
    OFF;

    /** Bytes one direction carries in large reads before {@link #AUTO} splices it: 256 KiB. */
    public static final long AUTO_THRESHOLD = 256 * 1024;

    /** The smallest read that counts towards {@link #AUTO_THRESHOLD}; a smaller one starts the run again. */
    public static final int AUTO_LARGE_READ = 16 * 1024;

    /**
     * Parses {@code auto}, {@code on} or {@code off} (also {@code true}/{@code false}).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static Splice parse(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "auto" -> AUTO;
            case "on", "true", "yes" -> ON;
            case "off", "false", "no" -> OFF;
            default -> throw new IllegalArgumentException("'" + text + "' is not a splice mode (auto, on, off)");
        };
    }

    /** Bytes a direction carries before it is spliced, or -1 for never. */
    long threshold() {
        return switch (this) {
            case AUTO -> AUTO_THRESHOLD;
            case ON -> 0;
            case OFF -> -1;
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
