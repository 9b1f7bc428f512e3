/**
 * The layer-4 TCP load balancer ({@code type: lb}): {@link dev.portico.lb.LbConfig} (built in code
 * or read by {@link dev.portico.lb.LbServiceType}) and {@link dev.portico.lb.LbService}, which
 * accepts connections, places each on a host of the active group with transparent failover, and
 * relays bytes both ways with backpressure and half-close. Hosts, pools, schedulers and health
 * checks come from {@code dev.portico.upstream}.
 */
package dev.portico.lb;
