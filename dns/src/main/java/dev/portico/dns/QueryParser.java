package dev.portico.dns;

import io.netty.buffer.ByteBuf;

/**
 * Reads a query packet. Every read is bounds-checked against the packet, so no input can make it
 * read outside the buffer.
 */
final class QueryParser {

    /** The packet is not a well-formed query; answered with FORMERR. */
    static final class FormatError extends Exception {
        FormatError(String message) {
            super(message, null, false, false);
        }
    }

    static final int HEADER = 12;
    private static final int TYPE_OPT = 41;
    /** The DO bit in the flags of an OPT record's TTL field. */
    private static final int DO = 0x8000;

    private QueryParser() {
    }

    /**
     * Parses the packet between the reader and writer index without moving them.
     *
     * @return the query, or null when the packet is a response (never answered)
     * @throws FormatError when the header is there but the rest is not a valid query
     */
    static Query parse(ByteBuf buf) throws FormatError {
        int start = buf.readerIndex();
        int end = buf.writerIndex();
        int id = buf.getUnsignedShort(start);
        int flags = buf.getUnsignedShort(start + 2);
        if ((flags & Query.QR) != 0) {
            return null;
        }
        int qd = buf.getUnsignedShort(start + 4);
        int an = buf.getUnsignedShort(start + 6);
        int ns = buf.getUnsignedShort(start + 8);
        int ar = buf.getUnsignedShort(start + 10);
        if (((flags >> 11) & 0xF) != 0) {
            // Not a QUERY: the caller answers NOTIMP from the header alone.
            return new Query(id, flags, new byte[] {0}, new byte[] {0}, 0, 0, 0, false, 0, 0, false, null);
        }
        if (qd != 1) {
            throw new FormatError("question count " + qd);
        }
        int pos = start + HEADER;
        int nameEnd = questionNameEnd(buf, pos, end);
        if (nameEnd + 4 > end) {
            throw new FormatError("question cut short");
        }
        byte[] name = new byte[nameEnd - pos];
        buf.getBytes(pos, name);
        byte[] lower = name.clone();
        int hash = lowerCase(lower);
        int qtype = buf.getUnsignedShort(nameEnd);
        int qclass = buf.getUnsignedShort(nameEnd + 2);
        pos = nameEnd + 4;
        for (int i = 0; i < an + ns; i++) {
            pos = skipRecord(buf, pos, end);
        }
        boolean edns = false;
        int udpSize = 0;
        int version = 0;
        boolean dnssecOk = false;
        EcsOption ecs = null;
        for (int i = 0; i < ar; i++) {
            int nameStart = pos;
            int typePos = skipName(buf, pos, end);
            if (typePos + 10 > end) {
                throw new FormatError("additional record cut short");
            }
            if (buf.getUnsignedShort(typePos) == TYPE_OPT) {
                if (edns || typePos != nameStart + 1 || buf.getByte(nameStart) != 0) {
                    throw new FormatError("bad or repeated OPT record");
                }
                edns = true;
                udpSize = buf.getUnsignedShort(typePos + 2);
                version = buf.getUnsignedByte(typePos + 5);
                dnssecOk = (buf.getUnsignedShort(typePos + 6) & DO) != 0;
                ecs = ednsOptions(buf, typePos + 10, buf.getUnsignedShort(typePos + 8), end);
            }
            pos = skipRecord(buf, nameStart, end);
        }
        return new Query(id, flags, name, lower, hash, qtype, qclass, edns, udpSize, version, dnssecOk, ecs);
    }

    /**
     * Walks the options of an OPT record's data; returns its Client Subnet option, if any. Options
     * must fill the data exactly, and a second Client Subnet option is an error (RFC 7871 §7.1.1).
     */
    private static EcsOption ednsOptions(ByteBuf buf, int pos, int rdlen, int end) throws FormatError {
        int stop = pos + rdlen;
        if (stop > end) {
            throw new FormatError("OPT data cut short");
        }
        EcsOption ecs = null;
        while (pos < stop) {
            if (pos + 4 > stop) {
                throw new FormatError("EDNS option header cut short");
            }
            int code = buf.getUnsignedShort(pos);
            int len = buf.getUnsignedShort(pos + 2);
            pos += 4;
            if (pos + len > stop) {
                throw new FormatError("EDNS option " + code + " overruns the OPT data");
            }
            if (code == EcsOption.CODE) {
                if (ecs != null) {
                    throw new FormatError("more than one client subnet option");
                }
                ecs = EcsOption.read(buf, pos, len);
            }
            pos += len;
        }
        return ecs;
    }

    /** The end of an uncompressed question name; checks label and total lengths. */
    private static int questionNameEnd(ByteBuf buf, int pos, int end) throws FormatError {
        int total = 0;
        while (true) {
            if (pos >= end) {
                throw new FormatError("question name cut short");
            }
            int len = buf.getUnsignedByte(pos);
            if (len == 0) {
                return pos + 1;
            }
            if (len > 63) {
                throw new FormatError("compressed or extended label in the question");
            }
            total += len + 1;
            if (total > 254) {
                throw new FormatError("question name longer than 255 octets");
            }
            pos += len + 1;
        }
    }

    /** Skips a possibly compressed name, returning the position after it. */
    private static int skipName(ByteBuf buf, int pos, int end) throws FormatError {
        int labels = 0;
        while (true) {
            if (pos >= end || ++labels > 128) {
                throw new FormatError("record name cut short");
            }
            int len = buf.getUnsignedByte(pos);
            if (len == 0) {
                return pos + 1;
            }
            if ((len & 0xC0) == 0xC0) {
                if (pos + 2 > end) {
                    throw new FormatError("compression pointer cut short");
                }
                return pos + 2;
            }
            if (len > 63) {
                throw new FormatError("extended label type");
            }
            pos += len + 1;
        }
    }

    private static int skipRecord(ByteBuf buf, int pos, int end) throws FormatError {
        int p = skipName(buf, pos, end);
        if (p + 10 > end) {
            throw new FormatError("record cut short");
        }
        int rdlen = buf.getUnsignedShort(p + 8);
        p += 10 + rdlen;
        if (p > end) {
            throw new FormatError("record data cut short");
        }
        return p;
    }

    /**
     * Lower-cases ASCII letters in a wire-form name (label lengths are below 'A', so they stay) and
     * returns a hash of the result, the same as {@link java.util.Arrays#hashCode(byte[])}.
     */
    static int lowerCase(byte[] name) {
        int hash = 1;
        for (int i = 0; i < name.length; i++) {
            byte c = name[i];
            if (c >= 'A' && c <= 'Z') {
                c = (byte) (c + 32);
                name[i] = c;
            }
            hash = 31 * hash + c;
        }
        return hash;
    }
}
