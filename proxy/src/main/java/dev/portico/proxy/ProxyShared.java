package dev.portico.proxy;

/**
 * What every exchange of one proxy configuration shares.
 *
 * @param config      the settings
 * @param routing     pools by Host and backend choice
 * @param connections upstream connections and their keep-alive pools
 * @param name        the service name, for log lines
 * @param transparent resolution for Hosts without a pool, or null when transparent mode is off
 */
record ProxyShared(ProxyConfig config, Routing routing, UpstreamConnections connections, String name,
                   Transparent transparent) {
}
