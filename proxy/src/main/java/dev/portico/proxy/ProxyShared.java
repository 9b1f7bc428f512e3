package dev.portico.proxy;

/**
 * What every exchange of one proxy configuration shares.
 *
 * @param config      the settings
 * @param routing     pools by Host and backend choice
 * @param connections upstream connections and their keep-alive pools
 * @param name        the service name, for log lines
 * @param transparent resolution for Hosts without a pool, or null when transparent mode is off
 * @param cache       the response cache, or null when the proxy has no {@code cache:} section
 * @param metrics     the service's meters (retries)
 * @param clientCertHeader the request field for a verified client certificate's subject, or null
 */
record ProxyShared(ProxyConfig config, Routing routing, UpstreamConnections connections, String name,
                   Transparent transparent, dev.portico.proxy.cache.HttpCache cache, ProxyMetrics metrics,
                   io.netty.util.AsciiString clientCertHeader) {
}
