package dev.portico.filestore;

/**
 * What every exchange of a service shares.
 *
 * @param name    the service name, for logs
 * @param config  the settings
 * @param nodes   the nodes and how to reach them
 * @param metrics the counters
 * @param handoff the handoff journal and its replay
 * @param cache   the response cache of reads, or null when the service has no {@code cache:} section
 */
record Shared(String name, FilestoreConfig config, NodeContext nodes, FilestoreMetrics metrics, Handoff handoff,
              dev.portico.proxy.ProxyCache cache) {
}
