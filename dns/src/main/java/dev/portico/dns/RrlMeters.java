package dev.portico.dns;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The response rate limiting meters of one dns service, tagged with its name. Registered once per
 * service, so that a reconfigured limit keeps counting into the same meters.
 */
final class RrlMeters {

    private final Counter dropped;
    private final Counter slipped;
    private final Counter exempt;
    private final Counter whitelisted;

    RrlMeters(String service, MeterRegistry registry) {
        dropped = Counter.builder("portico_dns_rrl_dropped").tag("service", service)
                .description("UDP answers not sent: the client prefix was over the rate limit for that answer")
                .register(registry);
        slipped = Counter.builder("portico_dns_rrl_slipped").tag("service", service)
                .description("UDP answers over the rate limit sent truncated (TC=1, no records) so that the client retries over TCP")
                .register(registry);
        exempt = Counter.builder("portico_dns_rrl_exempt").tag("service", service)
                .description("UDP answers sent unlimited to clients in the rrl exempt ranges")
                .register(registry);
        whitelisted = Counter.builder("portico_dns_rrl_whitelisted").tag("service", service)
                .description("UDP answers sent under the whitelist rate limit (a whitelisted client range or kind of answer)")
                .register(registry);
    }

    void dropped() {
        dropped.increment();
    }

    void slipped() {
        slipped.increment();
    }

    void exempt() {
        exempt.increment();
    }

    void whitelisted() {
        whitelisted.increment();
    }

    long droppedCount() {
        return (long) dropped.count();
    }

    long slippedCount() {
        return (long) slipped.count();
    }

    long exemptCount() {
        return (long) exempt.count();
    }

    long whitelistedCount() {
        return (long) whitelisted.count();
    }
}
