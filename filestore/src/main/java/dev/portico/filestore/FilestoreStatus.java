package dev.portico.filestore;

import dev.portico.upstream.Backend;

import java.util.List;

/**
 * What a file store router shows its operators (admin API, dashboard, SSH console): its nodes
 * with their health, traffic and read latency, and its request counters since it started.
 *
 * @param nodes          every node of every pool and stage, once, in config order
 * @param reads          GET and HEAD requests
 * @param writesComplete writes every replica took
 * @param writesDegraded writes acknowledged with fewer copies than the redundancy (quorum met)
 * @param writesFailed   writes that did not reach the quorum
 * @param missingCopies  reads that found a copy missing on a replica while another had it
 */
public record FilestoreStatus(List<Node> nodes, long reads, long writesComplete, long writesDegraded,
                              long writesFailed, long missingCopies) {

    public FilestoreStatus {
        nodes = List.copyOf(nodes);
    }

    /** Writes of every result. */
    public long writes() {
        return writesComplete + writesDegraded + writesFailed;
    }

    /**
     * One node.
     *
     * @param name         {@code host:port}
     * @param backend      its health, admin state and connection counters (bytes in and out included)
     * @param latencyNanos smoothed time to a read's response head, 0 before the first read
     */
    public record Node(String name, Backend backend, long latencyNanos) {
    }
}
