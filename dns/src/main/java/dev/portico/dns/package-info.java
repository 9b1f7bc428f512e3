/**
 * Authoritative DNS: RFC 1035 zone files served over UDP and TCP from an immutable in-memory
 * snapshot that reloads atomically, plus dynamic A/AAAA records whose addresses are health-checked
 * through the upstream core and fail over along 3nsd's {@code _name}, {@code __name} chain.
 *
 * <p>Start with {@link dev.portico.dns.DnsConfig} and {@link dev.portico.dns.DnsServiceType} (config
 * file) or {@link dev.portico.dns.EmbeddedDns} (inside an application).
 */
package dev.portico.dns;
