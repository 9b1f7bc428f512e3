/**
 * The layer-4 load balancer ({@code type: lb}): {@link dev.portico.lb.LbConfig} (built in code or
 * read by {@link dev.portico.lb.LbServiceType}) and {@link dev.portico.lb.LbService}.
 * <ul>
 *   <li>TCP: each accepted connection is placed on a host of the active group with transparent
 *       failover and relayed both ways with backpressure and half-close, by copy or, on epoll,
 *       with splice(2) ({@link dev.portico.lb.Splice}); a PROXY v1/v2 header can be sent to
 *       backends, and accepted from trusted proxies in front
 *       ({@link dev.portico.lb.TrustedProxies}).</li>
 *   <li>UDP ({@link dev.portico.lb.LbProtocol#UDP}): sessions keyed by client address, placed by
 *       the same schedulers and health checks, expired when idle
 *       ({@link dev.portico.lb.UdpSettings}).</li>
 * </ul>
 * Hosts, pools, schedulers and health checks come from {@code dev.portico.upstream}.
 * {@link dev.portico.lb.EmbeddedLb} runs a balancer inside any application.
 */
package dev.portico.lb;
