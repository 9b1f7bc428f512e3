package dev.portico.dns;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * Who one query is answered for, and how far the answer depends on it. The address is the EDNS
 * Client Subnet network when the query carried one, otherwise the resolver's own address. While
 * the answer is built, every choice made on the address widens {@link #scope()}: the prefix
 * length of the address block for which the same choices would be made, which an ECS answer
 * reports as its SCOPE PREFIX-LENGTH.
 *
 * <p>One instance per query, used by one thread.
 */
final class ClientInfo {

    /** A query answered for no client in particular: nothing depends on the client. */
    static final ClientInfo NONE = new ClientInfo(null, null, null);

    private final InetAddress address;
    private final EcsOption ecs;
    private final InetAddress source;
    private int scope;

    private ClientInfo(InetAddress address, EcsOption ecs, InetAddress source) {
        this.address = address;
        this.ecs = ecs;
        this.source = source;
    }

    /**
     * The client of a query.
     *
     * @param ecs    the query's Client Subnet option, or null
     * @param source the address the query came from (the resolver), or null when unknown
     * @return the client
     */
    static ClientInfo of(EcsOption ecs, InetAddress source) {
        return ecs != null ? new ClientInfo(ecs.clientAddress(), ecs, source)
                : source == null ? NONE : new ClientInfo(source, null, source);
    }

    /** The address answers are chosen for; null when there is none to use. */
    InetAddress address() {
        return address;
    }

    /**
     * The address the query itself came from (the resolver), whatever the Client Subnet option
     * says: LRRR measures round trips to it.
     *
     * @return the address, or null when unknown
     */
    InetAddress source() {
        return source;
    }

    /** The query's Client Subnet option, or null. */
    EcsOption ecs() {
        return ecs;
    }

    /** The number of address bits ({@code 32} or {@code 128}). */
    int bits() {
        return address instanceof Inet4Address ? 32 : 128;
    }

    /**
     * Records that the answer depends on the first {@code prefix} bits of the address.
     *
     * @param prefix a prefix length
     */
    void dependsOn(int prefix) {
        if (this != NONE && prefix > scope) {
            scope = prefix;
        }
    }

    /** The prefix length the answer depends on; 0 when it does not depend on the client. */
    int scope() {
        return scope;
    }
}
