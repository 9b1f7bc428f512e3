package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;

import java.util.List;
import java.util.NoSuchElementException;

/** Shared argument checks and list helpers for schedulers. */
final class Candidates {

    private Candidates() {
    }

    /** Throws the documented exception for an empty candidate list. */
    static void require(List<Backend> eligible) {
        if (eligible.isEmpty()) {
            throw new NoSuchElementException("no eligible backend");
        }
    }

    /** Identity membership test (backends use identity equality anyway). */
    static boolean contains(List<Backend> eligible, Backend backend) {
        for (int i = 0, n = eligible.size(); i < n; i++) {
            if (eligible.get(i) == backend) {
                return true;
            }
        }
        return false;
    }
}
