package dev.portico.dns;

/**
 * A parsed DNS query, read straight from the packet without dnsjava so that cache hits cost no
 * parsing objects beyond this one.
 *
 * @param id          the query ID
 * @param flags       the header's second 16-bit word
 * @param nameWire    the question name in wire form, exactly as sent (its case preserved)
 * @param lowerName   the question name in wire form, lower-cased (the lookup key)
 * @param nameHash    a hash of {@code lowerName}, computed while lower-casing it
 * @param qtype       the question type
 * @param qclass      the question class
 * @param edns        whether the query carried an OPT record
 * @param udpSize     the OPT record's UDP payload size (0 without OPT)
 * @param ednsVersion the OPT record's EDNS version
 * @param dnssecOk    whether the OPT record has the DO bit set (RFC 3225)
 * @param ecs         the OPT record's Client Subnet option (RFC 7871), or null
 */
record Query(int id, int flags, byte[] nameWire, byte[] lowerName, int nameHash, int qtype, int qclass, boolean edns, int udpSize,
             int ednsVersion, boolean dnssecOk, EcsOption ecs) {

    /** Header flag bits. */
    static final int QR = 0x8000;
    static final int RD = 0x0100;
    static final int CD = 0x0010;

    int opcode() {
        return (flags >> 11) & 0xF;
    }

    boolean rd() {
        return (flags & RD) != 0;
    }

    boolean cd() {
        return (flags & CD) != 0;
    }
}
