package dev.portico.server.control;

import dev.portico.admin.api.Views;
import dev.portico.core.lifecycle.Service;
import dev.portico.server.Supervisor;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The recent history of every running service, kept in memory: each {@link #sample()} reads the
 * services' counters ({@link Reading}) and appends one point per service (rate and errors per
 * second since the sample before, and the p99 response time where measured) to a ring of fixed
 * size, so the history costs the same memory however long the process runs. A service started
 * again by a reload (a new instance, whose counters start at zero) keeps its ring and starts
 * counting from there. Samples are taken by {@link #start}, on the scheduler given.
 */
public final class ServiceHistory {

    /** Seconds between samples in a daemon. */
    public static final Duration INTERVAL = Duration.ofSeconds(5);
    /** Points kept per service: ten minutes at {@link #INTERVAL}. */
    public static final int POINTS = 120;

    private final Supplier<Supervisor> supervisor;
    private final MeterRegistry meters;
    private final Clock clock;
    private final int capacity;
    private final Duration interval;
    private final Map<String, Track> tracks = new HashMap<>();

    /**
     * @param supervisor gives the supervisor of the running services
     * @param meters     the registry the services register their meters in
     * @param clock      the time of each sample
     * @param capacity   points kept per service
     * @param interval   the time between samples, as {@link #start} will take them
     */
    public ServiceHistory(Supplier<Supervisor> supervisor, MeterRegistry meters, Clock clock, int capacity,
                          Duration interval) {
        this.supervisor = Objects.requireNonNull(supervisor, "supervisor");
        this.meters = Objects.requireNonNull(meters, "meters");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, not " + capacity);
        }
        this.capacity = capacity;
        this.interval = Objects.requireNonNull(interval, "interval");
    }

    /**
     * Takes a first sample now and one every interval: {@code scheduler} keeps the time and
     * {@code runner} takes the samples (reading the services waits for a reload to finish, so it
     * must not run on a thread a reload may wait for). Cancel the result to stop.
     */
    public ScheduledFuture<?> start(ScheduledExecutorService scheduler, Executor runner) {
        long ms = interval.toMillis();
        return scheduler.scheduleAtFixedRate(() -> {
            try {
                runner.execute(this::sample);
            } catch (RejectedExecutionException e) {
                // shutting down
            }
        }, 0, ms, TimeUnit.MILLISECONDS);
    }

    /** Reads every running service once and appends a point to each history (not on the first reading). */
    public void sample() {
        Supervisor s = supervisor.get();
        if (s == null) {
            return;
        }
        long now = clock.millis();
        Set<String> running = new HashSet<>();
        for (Supervisor.Running r : s.running()) {
            Reading reading = Reading.of(r.service(), meters);
            if (reading == null) {
                continue;
            }
            running.add(r.spec().name());
            synchronized (this) {
                tracks.computeIfAbsent(r.spec().name(), n -> new Track(capacity)).add(r.service(), reading, now);
            }
        }
        synchronized (this) {
            tracks.keySet().retainAll(running);
        }
    }

    /** The service's history, oldest point first; empty before the second sample. */
    public synchronized Views.History history(Service service) {
        Track t = tracks.get(service.name());
        if (t == null) {
            Reading r = Reading.of(service, meters);
            return new Views.History(service.name(), r == null ? null : r.unit(), interval.toSeconds(), window(),
                    List.of());
        }
        return new Views.History(service.name(), t.last.unit(), interval.toSeconds(), window(), t.points());
    }

    /**
     * The service's totals now and its rates over the last interval sampled, or null for a type
     * that keeps no counters.
     */
    public Views.Stats stats(Service service) {
        Reading now = Reading.of(service, meters);
        if (now == null) {
            return null;
        }
        double rate = 0;
        double errors = 0;
        Double bytesRate = now.bytes() < 0 ? null : 0.0;
        Double p99 = null;
        String sampledAt = null;
        synchronized (this) {
            Track t = tracks.get(service.name());
            if (t != null && t.size > 0) {
                int i = t.index(t.size - 1);
                rate = t.rate[i];
                errors = t.errors[i];
                p99 = Double.isNaN(t.p99[i]) ? null : t.p99[i];
                if (bytesRate != null) {
                    bytesRate = t.bytes[i];
                }
                sampledAt = Instant.ofEpochMilli(t.times[i]).toString();
            }
        }
        return new Views.Stats(now.unit(), now.total(), now.errors(), rate, errors, now.counts(),
                now.bytes() < 0 ? null : now.bytes(), bytesRate, p99, now.cacheHits() < 0 ? null : now.cacheHits(),
                now.cacheHits() < 0 || now.cacheLookups() == 0 ? null : (double) now.cacheHits() / now.cacheLookups(),
                sampledAt, interval.toSeconds());
    }

    private long window() {
        return interval.toSeconds() * capacity;
    }

    /** One service's ring of points and the reading they were last measured from. */
    private static final class Track {
        final long[] times;
        final double[] rate;
        final double[] errors;
        final double[] bytes;
        final double[] p99;
        int start;
        int size;
        Service instance;
        Reading last;
        long lastMillis;

        Track(int capacity) {
            times = new long[capacity];
            rate = new double[capacity];
            errors = new double[capacity];
            bytes = new double[capacity];
            p99 = new double[capacity];
        }

        int index(int i) {
            return (start + i) % times.length;
        }

        void add(Service service, Reading reading, long millis) {
            boolean fresh = service != instance;
            Reading before = fresh ? null : last;
            long elapsed = millis - lastMillis;
            if (!fresh && elapsed > 0) {
                int i;
                if (size < times.length) {
                    i = index(size++);
                } else {
                    i = start;
                    start = index(1);
                }
                double seconds = elapsed / 1000.0;
                times[i] = millis;
                rate[i] = round(Math.max(0, reading.total() - before.total()) / seconds);
                errors[i] = round(Math.max(0, reading.errors() - before.errors()) / seconds);
                bytes[i] = round(Math.max(0, reading.bytes() - before.bytes()) / seconds);
                Double p = reading.p99Since(before);
                p99[i] = p == null ? Double.NaN : p;
            }
            instance = service;
            last = reading;
            lastMillis = millis;
        }

        List<Views.Point> points() {
            List<Views.Point> out = new ArrayList<>(size);
            for (int k = 0; k < size; k++) {
                int i = index(k);
                out.add(new Views.Point(Instant.ofEpochMilli(times[i]).toString(), rate[i], errors[i],
                        Double.isNaN(p99[i]) ? null : p99[i]));
            }
            return out;
        }

        private static double round(double v) {
            return Math.round(v * 100) / 100.0;
        }
    }
}
