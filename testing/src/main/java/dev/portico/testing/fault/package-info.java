/**
 * Fault injection for tests: {@link dev.portico.testing.fault.FaultyBackend}, a real HTTP/1.1
 * backend on a loopback address that can be stopped, killed, hung, slowed, made to answer 503 or to reset
 * connections, and {@link dev.portico.testing.fault.LoadDriver}, many concurrent keep-alive
 * clients (on any address) that count what they get while a fault is injected.
 */
package dev.portico.testing.fault;
