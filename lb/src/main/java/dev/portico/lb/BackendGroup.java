package dev.portico.lb;

import dev.portico.upstream.Backend;
import dev.portico.upstream.Pool;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthChecker;
import dev.portico.upstream.health.ProbeTransport;
import dev.portico.upstream.scheduler.Scheduler;
import dev.portico.upstream.scheduler.Schedulers;
import dev.portico.upstream.scheduler.SelectionContext;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * One named group of hosts of an lb service: its {@link Pool}, the scheduler that picks from it
 * and the active health check that runs on it. Every group is checked, active or not, so a
 * switched-to group already knows which hosts are up.
 */
public final class BackendGroup implements AutoCloseable {

    private final Pool pool;
    private final ProbeTransport probes;
    private volatile Scheduler scheduler;
    private volatile HealthChecker checker;

    BackendGroup(String name, String schedulerName, HealthCheckConfig health, ProbeTransport probes) {
        this.pool = Pool.create(name);
        this.probes = probes;
        this.scheduler = Schedulers.byName(schedulerName);
        this.checker = HealthChecker.create(pool, health, probes);
    }

    /** The group's name. */
    public String name() {
        return pool.name();
    }

    /** The hosts and their live state. */
    public Pool pool() {
        return pool;
    }

    /** The scheduler in use. */
    public Scheduler scheduler() {
        return scheduler;
    }

    /** The health check settings in use. */
    public HealthCheckConfig health() {
        return checker.config();
    }

    void start() {
        checker.start();
    }

    /** Replaces the scheduler; connections already placed are not moved. */
    void scheduler(String schedulerName) {
        if (!scheduler.name().equals(Schedulers.byName(schedulerName).name())) {
            scheduler = Schedulers.byName(schedulerName);
        }
    }

    /** Restarts the health check with new settings when they differ. */
    void health(HealthCheckConfig config) {
        if (!checker.config().equals(config)) {
            HealthChecker old = checker;
            checker = HealthChecker.create(pool, config, probes);
            old.close();
            checker.start();
        }
    }

    /**
     * Picks a host for a new connection.
     *
     * @param tried         hosts this connection already failed on, never picked again
     * @param maxPerBackend hosts with this many open connections are skipped; 0 for no cap
     * @return the host, or empty when none is left
     */
    Optional<Backend> pick(SelectionContext ctx, Collection<Backend> tried, int maxPerBackend) {
        List<Backend> eligible = pool.eligible();
        List<Backend> candidates = eligible;
        if (!tried.isEmpty() || maxPerBackend > 0) {
            candidates = new ArrayList<>(eligible.size());
            for (Backend b : eligible) {
                if (!tried.contains(b) && (maxPerBackend <= 0 || b.stats().open() < maxPerBackend)) {
                    candidates.add(b);
                }
            }
            if (candidates.size() == eligible.size()) {
                // Same members: hand over the pool's snapshot so schedulers keep their cached tables.
                candidates = eligible;
            }
        }
        return candidates.isEmpty() ? Optional.empty() : Optional.of(scheduler.pick(candidates, ctx));
    }

    /** Stops the health check; hosts keep their state. */
    @Override
    public void close() {
        checker.close();
    }

    @Override
    public String toString() {
        return "group " + pool.name() + " (" + scheduler.name() + ", " + pool + ")";
    }
}
