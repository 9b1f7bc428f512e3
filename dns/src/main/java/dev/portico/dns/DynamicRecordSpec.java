package dev.portico.dns;

import dev.portico.upstream.health.HealthCheckConfig;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * A dynamic A/AAAA record: addresses checked by the upstream health checker, with 3nsd's
 * failover chain. When every address of {@code www.example.test} is down the answer comes from
 * the dynamic record {@code _www.example.test}, then {@code __www.example.test}, and so on; when
 * every level is down, from {@code lastResort}, or else an empty NOERROR answer.
 *
 * <p>TTL follows gdnsd's MAX/MIN idea: answers carry {@code ttlMin} while any address the answer
 * depends on is near a state change (not checked yet, failing checks but not yet down, or passing
 * checks but not yet up again), otherwise {@code ttlMax}.
 *
 * @param name       the owner name, lower case, without the trailing dot
 * @param ttlMax     TTL of answers while health is stable
 * @param ttlMin     TTL of answers while a state change may be near; at most {@code ttlMax}
 * @param addresses  the addresses, in configured order
 * @param health     how each address is checked ({@code port} is the default check port)
 * @param answers    how many addresses an answer holds at most; 0 for all healthy ones
 * @param lastResort addresses answered when every level of the chain is down; may be empty
 * @param variants   address sets chosen by the client's network or location instead of
 *                   {@code addresses}; {@link ClientVariants#NONE} for none
 */
public record DynamicRecordSpec(String name, long ttlMax, long ttlMin, List<AddressSpec> addresses,
                                HealthCheckConfig health, int answers, List<InetAddress> lastResort,
                                ClientVariants variants) {

    /** A record without client-dependent variants. */
    public DynamicRecordSpec(String name, long ttlMax, long ttlMin, List<AddressSpec> addresses,
                             HealthCheckConfig health, int answers, List<InetAddress> lastResort) {
        this(name, ttlMax, ttlMin, addresses, health, answers, lastResort, ClientVariants.NONE);
    }

    /** Validates and copies the fields. */
    public DynamicRecordSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(variants, "variants");
        name = DnsNames.normalize(name);
        addresses = List.copyOf(addresses);
        lastResort = List.copyOf(lastResort);
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("dynamic record " + name + " has no addresses");
        }
        if (ttlMin < 0 || ttlMax < ttlMin || ttlMax > 0x7fff_ffffL) {
            throw new IllegalArgumentException("dynamic record " + name + ": TTL " + ttlMax + "/" + ttlMin
                    + " (expected MAX/MIN with 0 <= MIN <= MAX)");
        }
        if (answers < 0) {
            throw new IllegalArgumentException("dynamic record " + name + ": answers " + answers + " (expected >= 0)");
        }
    }

    /**
     * This record with other client-dependent variants.
     *
     * @param next the variants
     * @return the new spec
     */
    public DynamicRecordSpec withVariants(ClientVariants next) {
        return new DynamicRecordSpec(name, ttlMax, ttlMin, addresses, health, answers, lastResort, next);
    }

    /**
     * A record with one TTL, every address per answer and no last resort.
     *
     * @param name      the owner name
     * @param ttl       the TTL (MAX and MIN)
     * @param health    the health check
     * @param addresses the addresses in text form, see {@link AddressSpec#parse(String)}
     * @return the spec
     */
    public static DynamicRecordSpec of(String name, long ttl, HealthCheckConfig health, String... addresses) {
        return new DynamicRecordSpec(name, ttl, ttl, java.util.Arrays.stream(addresses).map(AddressSpec::parse).toList(),
                health, 0, List.of());
    }
}
