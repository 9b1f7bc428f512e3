package dev.portico.acme;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Optional;

/**
 * What the admin API and the dashboard show for a managed name. {@code lastError} stays after a
 * later success (compare {@code lastErrorAt} with {@code lastRenewal}); {@code failures} counts the
 * failed attempts since the last success.
 *
 * @param name        the DNS name
 * @param notAfter    when the current certificate expires, if there is one
 * @param serial      the current certificate's serial number, if there is one
 * @param lastRenewal when the current certificate was stored (the file's time when loaded from disk)
 * @param lastError   the reason the last failed attempt gave
 * @param lastErrorAt when that attempt failed
 * @param nextAttempt when the next attempt is due (renewal or retry); empty while one runs or once closed
 * @param failures    failed attempts since the last success, which set the backoff
 * @param renewing    true while an attempt runs
 */
public record NameStatus(String name, Optional<Instant> notAfter, Optional<BigInteger> serial, Optional<Instant> lastRenewal,
                         Optional<String> lastError, Optional<Instant> lastErrorAt, Optional<Instant> nextAttempt,
                         int failures, boolean renewing) {
}
