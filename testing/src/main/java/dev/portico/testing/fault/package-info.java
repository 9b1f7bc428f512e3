/**
 * Fault injection for tests: {@link dev.portico.testing.fault.FaultyBackend}, a real HTTP/1.1
 * backend on 127.0.0.1 that can be stopped, killed, hung, slowed, made to answer 503 or to reset
 * connections, and {@link dev.portico.testing.fault.LoadDriver}, many concurrent keep-alive
 * clients that count what they get while a fault is injected.
 */
package dev.portico.testing.fault;
