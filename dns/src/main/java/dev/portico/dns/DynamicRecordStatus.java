package dev.portico.dns;

import dev.portico.upstream.AdminState;
import dev.portico.upstream.Backend;

import java.util.List;
import java.util.Objects;

/**
 * A dynamic record as it stands now, for status pages and operators: its spec, where it sits in a
 * 3nsd failover chain, and each address with the {@link Backend} that carries its health and
 * admin state. An address is forced down by admin state {@link AdminState#DISABLED}, forced up by
 * {@link AdminState#FORCED_UP}, and left to its checks by {@link AdminState#ENABLED}.
 *
 * @param spec       the record as configured
 * @param level      0 for the head of a chain, 1 for {@code _name} when {@code name} is dynamic too, …
 * @param fallbackOf the head of the chain this record backs up (lower case, no trailing dot), or null at level 0
 * @param addresses  the addresses in configured order
 */
public record DynamicRecordStatus(DynamicRecordSpec spec, int level, String fallbackOf, List<Address> addresses) {

    /** Copies the list. */
    public DynamicRecordStatus {
        Objects.requireNonNull(spec, "spec");
        addresses = List.copyOf(addresses);
    }

    /**
     * One address of a record.
     *
     * @param spec    the address as configured
     * @param backend its live health ({@link Backend#health()}, {@link Backend#healthReason()},
     *                {@link Backend#healthChangedAt()}) and admin state; its address is the one checked
     */
    public record Address(AddressSpec spec, Backend backend) {
    }
}
