package dev.portico.server;

import dev.portico.core.lifecycle.Reconfigurable;
import dev.portico.core.lifecycle.Refreshable;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.server.config.ServiceSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Owns the running services: starts them, applies a new set on reload (start added ones, stop
 * removed ones, reconfigure or restart changed ones) and stops them all. One lock guards it, so
 * a reload never overlaps a stop.
 */
public final class Supervisor {

    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

    private final ServiceContext context;
    private final Map<String, Running> running = new LinkedHashMap<>();
    private boolean stopped;

    /** A service and the spec it was built from (or last reconfigured to). */
    public record Running(ServiceSpec spec, Service service) {
    }

    /** What a reload did, by service name. */
    public record ReloadResult(List<String> started, List<String> stopped, List<String> reconfigured,
                               List<String> restarted, List<String> unchanged, List<String> failed) {

        /** True when every change was applied. */
        public boolean ok() {
            return failed.isEmpty();
        }

        @Override
        public String toString() {
            List<String> parts = new ArrayList<>();
            add(parts, "started", started);
            add(parts, "stopped", stopped);
            add(parts, "reconfigured", reconfigured);
            add(parts, "restarted", restarted);
            add(parts, "unchanged", unchanged);
            add(parts, "failed", failed);
            return parts.isEmpty() ? "no services" : String.join("; ", parts);
        }

        private static void add(List<String> parts, String what, List<String> names) {
            if (!names.isEmpty()) {
                parts.add(what + ": " + String.join(", ", names));
            }
        }
    }

    /** Thrown when a service cannot start; the services started before it have been stopped. */
    public static final class StartException extends Exception {
        StartException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public Supervisor(ServiceContext context) {
        this.context = Objects.requireNonNull(context, "context");
    }

    /** Starts every service in order; on a failure stops the ones already started. */
    public synchronized void startAll(Collection<ServiceSpec> specs) throws StartException {
        requireRunning();
        for (ServiceSpec spec : specs) {
            try {
                running.put(spec.name(), new Running(spec, start(spec)));
            } catch (Exception e) {
                stopAll(Duration.ZERO);
                throw new StartException("service " + spec.label(true) + " failed to start: "
                        + message(e), e);
            }
        }
    }

    /**
     * Moves from the running set to {@code next}. A change that fails is logged and reported, and
     * that service keeps its old config; the other changes still happen.
     */
    public synchronized ReloadResult reload(Map<String, ServiceSpec> next, Duration grace) {
        requireRunning();
        List<String> started = new ArrayList<>();
        List<String> stoppedNames = new ArrayList<>();
        List<String> reconfigured = new ArrayList<>();
        List<String> restarted = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        List<String> failed = new ArrayList<>();

        for (String name : List.copyOf(running.keySet())) {
            if (!next.containsKey(name)) {
                Running r = running.remove(name);
                stop(r.service(), grace);
                stoppedNames.add(name);
                log.info("service '{}' removed and stopped", name);
            }
        }

        Map<String, Running> after = new LinkedHashMap<>();
        for (ServiceSpec spec : next.values()) {
            String name = spec.name();
            Running old = running.get(name);
            if (old == null) {
                try {
                    after.put(name, new Running(spec, start(spec)));
                    started.add(name);
                    log.info("service '{}' added and started: {}", name, after.get(name).service().endpoints());
                } catch (Exception e) {
                    failed.add(name + ": " + message(e));
                    log.error("service '{}' could not start: {}", name, message(e));
                }
            } else if (old.spec().sameAs(spec)) {
                after.put(name, old);
                unchanged.add(name);
                if (old.service() instanceof Refreshable f) {
                    try {
                        f.refresh();
                        log.info("service '{}' read its files again", name);
                    } catch (Exception e) {
                        failed.add(name + ": " + message(e));
                        log.error("service '{}' keeps its old data: {}", name, message(e));
                    }
                }
            } else if (old.spec().type().name().equals(spec.type().name()) && old.service() instanceof Reconfigurable<?> r) {
                try {
                    reconfigure(r, spec.config());
                    after.put(name, new Running(spec, old.service()));
                    reconfigured.add(name);
                    log.info("service '{}' reconfigured", name);
                } catch (Exception e) {
                    after.put(name, old);
                    failed.add(name + ": " + message(e));
                    log.error("service '{}' kept its old config; the new one cannot be applied live: {}", name, message(e));
                }
            } else {
                stop(old.service(), grace);
                try {
                    after.put(name, new Running(spec, start(spec)));
                    restarted.add(name);
                    log.info("service '{}' restarted with its new config: {}", name, after.get(name).service().endpoints());
                } catch (Exception e) {
                    failed.add(name + ": " + message(e));
                    log.error("service '{}' could not start with its new config: {}; restarting the old one", name, message(e));
                    try {
                        after.put(name, new Running(old.spec(), start(old.spec())));
                    } catch (Exception again) {
                        log.error("service '{}' could not be restarted with its old config either: {}", name, message(again));
                    }
                }
            }
        }
        running.clear();
        running.putAll(after);
        return new ReloadResult(started, stoppedNames, reconfigured, restarted, unchanged, failed);
    }

    /** Stops every service at once, each allowed {@code grace} for work in flight. Idempotent. */
    public synchronized void stopAll(Duration grace) {
        List<Thread> stopping = new ArrayList<>();
        for (Running r : running.values().stream().toList().reversed()) {
            stopping.add(Thread.ofVirtual().name("stop-" + r.spec().name()).start(() -> stop(r.service(), grace)));
        }
        long deadline = System.nanoTime() + grace.plusSeconds(5).toNanos();
        for (Thread t : stopping) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !t.join(Duration.ofNanos(left))) {
                    log.warn("{} did not finish within the shutdown grace", t.getName());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        running.clear();
    }

    /** Stops everything and refuses further starts. */
    public synchronized void shutdown(Duration grace) {
        stopAll(grace);
        stopped = true;
    }

    /** The running services in config order. */
    public synchronized List<Running> running() {
        return List.copyOf(running.values());
    }

    private Service start(ServiceSpec spec) throws Exception {
        Service s = spec.create(context);
        try {
            s.start();
        } catch (Exception | Error e) {
            try {
                s.stop(Duration.ZERO);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return s;
    }

    private static void stop(Service s, Duration grace) {
        try {
            s.stop(grace);
        } catch (RuntimeException e) {
            log.warn("service '{}' failed while stopping", s.name(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static void reconfigure(Reconfigurable<?> r, Object config) throws Exception {
        ((Reconfigurable<Object>) r).reconfigure(config);
    }

    private void requireRunning() {
        if (stopped) {
            throw new IllegalStateException("supervisor is shut down");
        }
    }

    static String message(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
