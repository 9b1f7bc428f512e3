package dev.portico.filestore;

/**
 * What every exchange of a service shares.
 *
 * @param name    the service name, for logs
 * @param config  the settings
 * @param nodes   the nodes and how to reach them
 * @param metrics the counters
 * @param handoff the handoff journal and its replay
 */
record Shared(String name, FilestoreConfig config, NodeContext nodes, FilestoreMetrics metrics, Handoff handoff) {
}
