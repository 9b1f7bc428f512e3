/**
 * The shared upstream core: {@link dev.portico.upstream.Backend backends} grouped into
 * {@link dev.portico.upstream.Pool pools}, their connection statistics, admin and health
 * states, and the time abstractions ({@link dev.portico.upstream.Ticker},
 * {@link dev.portico.upstream.TaskTimer}) that the schedulers and health checks use.
 *
 * <p>Selection algorithms live in {@code dev.portico.upstream.scheduler}; active and passive
 * health checking lives in {@code dev.portico.upstream.health}. A typical data path:
 *
 * <pre>{@code
 * Pool pool = Pool.create("web");
 * pool.add(Backend.of("10.0.0.1:8080", 3));
 * pool.add(Backend.of("10.0.0.2:8080"));
 * Scheduler scheduler = Schedulers.byName(config.scheduler());        // "leastconns", "maglev", ...
 * HealthChecker checks = HealthChecker.create(pool, HealthCheckConfig.parse("http:/health"),
 *         ProbeTransport.of(workerGroup, NioSocketChannel.class));
 * checks.start();
 *
 * // per client connection:
 * Optional<Backend> chosen = scheduler.select(pool, SelectionContext.ofClient(clientAddress));
 * // empty: close the client. Otherwise:
 * backend.onConnectStart();
 * // connect failed: backend.onConnectFailed(cause.toString()) marks it DOWN; select again.
 * // connection over: backend.onClosed(bytesFromBackend, bytesToBackend).
 * }</pre>
 */
package dev.portico.upstream;
