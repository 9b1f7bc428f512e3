package dev.portico.dns;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Rendered static answers in wire form, keyed by what decides their bytes apart from the ID, the
 * RD/CD flags and the case of the question name, which are patched on each hit. It stops growing at
 * its capacity (a flood of random names cannot make it use more memory); a reload starts a new one.
 */
final class AnswerCache {

    /**
     * What an answer's bytes depend on.
     *
     * @param name   the lower-cased question name in wire form (as ISO-8859-1 text)
     * @param qtype  the question type
     * @param qclass the question class
     * @param limit  the largest answer allowed (UDP payload size, or 65535 over TCP)
     * @param edns   whether the answer carries an OPT record
     */
    record Key(String name, int qtype, int qclass, int limit, boolean edns) {
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
