/**
 * The shared upstream core: {@link dev.portico.upstream.Backend backends} grouped into
 * {@link dev.portico.upstream.Pool pools}, their connection statistics, admin and health
 * states, and the time abstractions ({@link dev.portico.upstream.Ticker},
 * {@link dev.portico.upstream.TaskTimer}) that the schedulers and health checks use.
 *
 * <p>Selection algorithms live in {@code dev.portico.upstream.scheduler}; active and passive
 * health checking lives in {@code dev.portico.upstream.health}.
 */
package dev.portico.upstream;
