package dev.portico.upstream.health;

import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthListener;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.Pool;
import dev.portico.upstream.PoolListener;
import dev.portico.upstream.TaskTimer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs the active health check of one {@link Pool}: one probe loop per member, started and
 * stopped as members come and go.
 *
 * <ul>
 *   <li>An UP (or not yet checked) backend is checked every {@code interval}; {@code fall}
 *       consecutive failures mark it DOWN. The first pass marks an unchecked backend UP.</li>
 *   <li>A DOWN backend is checked every {@code downInterval}; {@code rise} consecutive passes mark
 *       it UP. A backend marked DOWN by the data path ({@link Backend#onConnectFailed(String)})
 *       gets its next check within {@code downInterval} and needs {@code rise} fresh passes.</li>
 *   <li>While every backend of the pool is DOWN, all are checked every {@code allDownInterval}
 *       (PythonDirector re-added every host at once in this case; re-checking aggressively gets
 *       service back as fast as the first backend recovers without sending traffic to dead
 *       ones). Entering and leaving this mode is logged.</li>
 * </ul>
 *
 * <p>Backends are checked whatever their admin state, so a re-enabled backend's health is already
 * known.
 *
 * <p>All state lives on one {@link TaskTimer} (one event loop in production), so no locks are
 * taken; probe results and pool events are posted to it.
 */
public final class HealthChecker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

    private final Pool pool;
    private final HealthCheckConfig config;
    private final Probe probe;
    private final TaskTimer timer;
    private final Map<Backend, BackendMonitor> monitors = new HashMap<>();
    private final PoolListener poolListener = new PoolListener() {
        @Override
        public void onBackendAdded(Pool p, Backend backend) {
            post(() -> startMonitor(backend));
        }

        @Override
        public void onBackendRemoved(Pool p, Backend backend) {
            post(() -> stopMonitor(backend));
        }
    };
    private final HealthListener healthListener = (backend, from, to, reason) -> post(() -> healthChanged(backend, to));
    private volatile boolean aggressive;
    private volatile boolean started;
    private volatile boolean closed;

    private HealthChecker(Pool pool, HealthCheckConfig config, Probe probe, TaskTimer timer) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.config = Objects.requireNonNull(config, "config");
        this.probe = Objects.requireNonNull(probe, "probe");
        this.timer = Objects.requireNonNull(timer, "timer");
    }

    /**
     * A checker with an explicit probe and timer (tests use a manual timer and a scripted probe).
     *
     * @param pool   the pool to check
     * @param config intervals and thresholds
     * @param probe  the check to run
     * @param timer  where all checker state lives and time comes from
     * @return the checker, not started
     */
    public static HealthChecker create(Pool pool, HealthCheckConfig config, Probe probe, TaskTimer timer) {
        return new HealthChecker(pool, config, probe, timer);
    }

    /**
     * A checker with the probe for {@code config}, timed on one event loop of the transport's group.
     *
     * @param pool      the pool to check
     * @param config    the check settings
     * @param transport where probes and timers run
     * @return the checker, not started
     */
    public static HealthChecker create(Pool pool, HealthCheckConfig config, ProbeTransport transport) {
        return new HealthChecker(pool, config, Probes.forConfig(config, transport),
                TaskTimer.of(transport.group().next()));
    }

    /**
     * Starts checking every current and future member; the first checks start at once. Does
     * nothing if already started.
     */
    public void start() {
        if (started || closed) {
            return;
        }
        started = true;
        log.info("pool {}: health check {} using {}", pool.name(), config, probe);
        pool.addListener(poolListener);
        pool.addHealthListener(healthListener);
        post(() -> {
            for (Backend b : pool.members()) {
                startMonitor(b);
            }
            evaluateAllDown();
        });
    }

    /** Stops all checks. Health states stay as they are. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        pool.removeListener(poolListener);
        pool.removeHealthListener(healthListener);
        Runnable stopAll = () -> {
            monitors.values().forEach(BackendMonitor::stop);
            monitors.clear();
        };
        try {
            timer.execute(stopAll);
        } catch (RejectedExecutionException e) {
            // The event loop is already gone, so no check can run again anyway.
            log.debug("pool {}: timer already shut down while closing health checks", pool.name());
        }
    }

    /**
     * Whether the pool is in all-down mode and being re-checked every {@code allDownInterval}.
     *
     * @return {@code true} while every backend is DOWN
     */
    public boolean aggressive() {
        return aggressive;
    }

    /**
     * The pool being checked.
     *
     * @return the pool
     */
    public Pool pool() {
        return pool;
    }

    /**
     * The check settings.
     *
     * @return the config
     */
    public HealthCheckConfig config() {
        return config;
    }

    Probe probe() {
        return probe;
    }

    TaskTimer timer() {
        return timer;
    }

    /** Runs a task on the timer unless closed. */
    void post(Runnable task) {
        if (closed) {
            return;
        }
        try {
            timer.execute(() -> {
                if (!closed) {
                    task.run();
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("pool {}: timer shut down; dropping health-check task", pool.name());
        }
    }

    private void startMonitor(Backend backend) {
        if (monitors.containsKey(backend) || !pool.members().contains(backend)) {
            return;
        }
        BackendMonitor monitor = new BackendMonitor(backend, this);
        monitors.put(backend, monitor);
        monitor.start();
    }

    private void stopMonitor(Backend backend) {
        BackendMonitor monitor = monitors.remove(backend);
        if (monitor != null) {
            monitor.stop();
        }
        evaluateAllDown();
    }

    private void healthChanged(Backend backend, HealthState to) {
        BackendMonitor monitor = monitors.get(backend);
        if (monitor != null) {
            monitor.healthChanged(to);
        }
        evaluateAllDown();
    }

    private void evaluateAllDown() {
        boolean allDown = pool.allDown();
        if (allDown == aggressive) {
            return;
        }
        aggressive = allDown;
        List<Backend> members = pool.members();
        if (allDown) {
            long every = config.allDownInterval().toMillis();
            long usual = config.downInterval().toMillis();
            log.warn("pool {}: all {} backends are DOWN; re-checking every {}ms{} until one recovers",
                    pool.name(), members.size(), every, every == usual ? "" : " instead of " + usual + "ms");
            for (BackendMonitor monitor : monitors.values()) {
                monitor.checkWithin(config.allDownInterval());
            }
        } else {
            log.info("pool {}: a backend is available again; leaving all-down re-check mode", pool.name());
        }
    }
}
