package dev.portico.dns;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rendered static answers in wire form, keyed by what decides their bytes apart from the ID, the
 * RD/CD flags and the case of the question name, which are patched on each hit. Only answers to
 * EDNS version 0 (or no EDNS) are kept: other versions get BADVERS, never a cached answer. It stops growing at
 * its capacity (a flood of random names cannot make it use more memory); a reload starts a new one.
 */
final class AnswerCache {

    /**
     * What an answer's bytes depend on.
     *
     * @param name     the lower-cased question name in wire form (never changed once in a key)
     * @param nameHash {@code Arrays.hashCode(name)}
     * @param qtype    the question type
     * @param qclass   the question class
     * @param limit    the largest answer allowed (UDP payload size, or 65535 over TCP)
     * @param opt      the answer's OPT record: {@link #NO_OPT}, {@link #OPT} or {@link #OPT_DO}
     */
    record Key(byte[] name, int nameHash, int qtype, int qclass, int limit, int opt) {

        /** No OPT record (the query had no EDNS). */
        static final int NO_OPT = 0;
        /** An OPT record without the DO bit. */
        static final int OPT = 1;
        /** An OPT record with the DO bit (copied from the query, RFC 3225). */
        static final int OPT_DO = 2;

        /** The {@code opt} part of the key of an answer to {@code q}. */
        static int opt(Query q) {
            return !q.edns() ? NO_OPT : q.dnssecOk() ? OPT_DO : OPT;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.nameHash == nameHash && k.qtype == qtype && k.qclass == qclass
                    && k.limit == limit && k.opt == opt && Arrays.equals(k.name, name);
        }

        @Override
        public int hashCode() {
            return ((nameHash * 31 + qtype) * 31 + qclass) * 31 + limit * 3 + opt;
        }

        @Override
        public String toString() {
            return "Key[" + new String(name, StandardCharsets.ISO_8859_1) + " " + qtype + "/" + qclass + " " + limit
                    + (opt == OPT_DO ? " edns do]" : opt == OPT ? " edns]" : "]");
        }
    }

    private final ConcurrentHashMap<Key, byte[]> answers = new ConcurrentHashMap<>();
    private final int capacity;

    AnswerCache(int capacity) {
        this.capacity = capacity;
    }

    byte[] get(Key key) {
        return capacity == 0 ? null : answers.get(key);
    }

    void put(Key key, byte[] wire) {
        if (answers.size() < capacity) {
            answers.putIfAbsent(key, wire);
        }
    }

    int size() {
        return answers.size();
    }
}
