package dev.portico.dns;

import dev.portico.upstream.TaskTimer;

import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * What client-dependent variants need from the service: the GeoIP database, and where ranges
 * files are polled (a timer) and read (off the event loops).
 *
 * @param geo          the GeoIP database, or null when none is configured
 * @param timer        schedules the ranges-file polls
 * @param blocking     reads the ranges files
 * @param pollInterval how often a ranges file's size and modification time are looked at
 */
record VariantContext(GeoIpDb geo, TaskTimer timer, Executor blocking, Duration pollInterval) {

    /** How often ranges files are looked at by default. */
    static final Duration DEFAULT_POLL = Duration.ofSeconds(1);

    /** No GeoIP database, and ranges files read once, never watched. */
    static final VariantContext NONE = new VariantContext(null, null, null, DEFAULT_POLL);

    /** Whether ranges files can be watched. */
    boolean canWatch() {
        return timer != null && blocking != null;
    }
}
