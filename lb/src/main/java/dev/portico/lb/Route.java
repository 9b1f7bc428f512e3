package dev.portico.lb;

/**
 * What a new client connection is served with: the settings and the active group, read together
 * from one volatile field so a reload or group switch never mixes old and new.
 *
 * @param config the service settings
 * @param group  the active group
 * @param maxConnections the client connection cap in force: the configured one, or the one derived
 *               from the descriptor limit
 * @param sni    the SNI routes when the service routes TLS by server name, else null; a route
 *               chosen by SNI (one group of it) has none
 */
record Route(LbConfig config, BackendGroup group, int maxConnections, SniRouter sni) {
}
