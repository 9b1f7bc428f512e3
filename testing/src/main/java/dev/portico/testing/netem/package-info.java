/**
 * A lossy, slow, long link between network namespaces, for tests and benchmarks of tunnels and
 * transports on a kernel without netem or tbf. {@link dev.portico.testing.netem.NetnsTopology}
 * makes hosts (namespaces) joined by links through a bridge namespace, where
 * {@link dev.portico.testing.netem.LinkEmulator} copies Ethernet frames between veths through
 * {@code AF_PACKET} sockets and applies each direction's
 * {@link dev.portico.testing.netem.LinkSpec}: one-way delay, random and Gilbert–Elliott loss, a
 * rate limit with a drop-tail queue, and reordering, with its own counters
 * ({@link dev.portico.testing.netem.DirectionStats}). Everything but
 * {@link dev.portico.testing.netem.NetnsAssumptions} uses the JDK alone, so scripts can compile
 * and run it without Maven.
 */
package dev.portico.testing.netem;
