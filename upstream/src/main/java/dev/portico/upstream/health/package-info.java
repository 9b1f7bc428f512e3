/**
 * Active and passive health checking. A {@link dev.portico.upstream.health.HealthChecker} runs one
 * {@link dev.portico.upstream.health.Probe} per backend of a pool at the intervals of a
 * {@link dev.portico.upstream.health.HealthCheckConfig}, applies rise/fall thresholds, re-checks
 * DOWN backends faster, and re-checks aggressively while the whole pool is down. Passive health is
 * the data path calling {@link dev.portico.upstream.Backend#onConnectFailed(String)}, which marks
 * the backend down at once; only the active checks bring it back.
 */
package dev.portico.upstream.health;
