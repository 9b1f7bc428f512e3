package dev.portico.upstream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A named group of {@link Backend}s. Keeps an immutable snapshot of the eligible members
 * (admin {@link AdminState#ENABLED} and health usable, or {@link AdminState#FORCED_UP}) that is replaced whenever membership,
 * admin state, health or weight changes, so selection reads one volatile field and never locks.
 * A new snapshot is always a new list object, which lets schedulers cache per-snapshot tables by
 * identity.
 *
 * <p>Members keep insertion order, and so does the snapshot.
 */
public final class Pool {

    private static final Logger log = LoggerFactory.getLogger(Pool.class);

    private final String name;
    private final Object lock = new Object();
    private final List<PoolListener> listeners = new CopyOnWriteArrayList<>();
    private final List<HealthListener> healthListeners = new CopyOnWriteArrayList<>();
    private volatile List<Backend> members = List.of();
    private volatile List<Backend> eligible = List.of();

    private Pool(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    /**
     * Creates an empty pool.
     *
     * @param name the pool's name, used in logs
     * @return the pool
     */
    public static Pool create(String name) {
        return new Pool(name);
    }

    /**
     * The pool's name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Adds a backend at the end.
     *
     * @param backend the backend
     * @throws IllegalArgumentException if a member already has that name
     */
    public void add(Backend backend) {
        Objects.requireNonNull(backend, "backend");
        synchronized (lock) {
            if (find(backend.name()).isPresent()) {
                throw new IllegalArgumentException("backend: " + backend.name() + " (expected: a name not already in pool " + name + ")");
            }
            List<Backend> next = new ArrayList<>(members);
            next.add(backend);
            members = List.copyOf(next);
            backend.joined(this);
            rebuildLocked();
        }
        log.info("pool {}: added backend {}", name, backend);
        fire(listener -> listener.onBackendAdded(this, backend));
        publish();
    }

    /**
     * Removes a backend.
     *
     * @param backend the backend
     * @return {@code true} if it was a member
     */
    public boolean remove(Backend backend) {
        synchronized (lock) {
            if (!members.contains(backend)) {
                return false;
            }
            List<Backend> next = new ArrayList<>(members);
            next.remove(backend);
            members = List.copyOf(next);
            backend.left(this);
            rebuildLocked();
        }
        log.info("pool {}: removed backend {}", name, backend);
        fire(listener -> listener.onBackendRemoved(this, backend));
        publish();
        return true;
    }

    /**
     * Finds a member by name.
     *
     * @param backendName the name
     * @return the member, or empty
     */
    public Optional<Backend> find(String backendName) {
        for (Backend b : members) {
            if (b.name().equals(backendName)) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    /**
     * All members in insertion order, whatever their state.
     *
     * @return an immutable list
     */
    public List<Backend> members() {
        return members;
    }

    /**
     * The current snapshot of members that may receive new connections. Pass it straight to a
     * scheduler.
     *
     * @return an immutable list, possibly empty
     */
    public List<Backend> eligible() {
        return eligible;
    }

    /**
     * Whether every member not administratively disabled is {@link HealthState#DOWN}; false for a
     * pool with no such member.
     *
     * @return {@code true} if all candidate members are down
     */
    public boolean allDown() {
        boolean any = false;
        for (Backend b : members) {
            if (b.adminState() == AdminState.DISABLED) {
                continue;
            }
            if (b.health() != HealthState.DOWN) {
                return false;
            }
            any = true;
        }
        return any;
    }

    /**
     * Registers a listener for membership and snapshot changes.
     *
     * @param listener the listener
     */
    public void addListener(PoolListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Removes a listener.
     *
     * @param listener the listener
     */
    public void removeListener(PoolListener listener) {
        listeners.remove(listener);
    }

    /**
     * Registers a listener for health transitions of any current or future member.
     *
     * @param listener the listener
     */
    public void addHealthListener(HealthListener listener) {
        healthListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Removes a health listener.
     *
     * @param listener the listener
     */
    public void removeHealthListener(HealthListener listener) {
        healthListeners.remove(listener);
    }

    void memberChanged() {
        synchronized (lock) {
            rebuildLocked();
        }
        publish();
    }

    void memberHealthChanged(Backend backend, HealthState from, HealthState to, String reason) {
        memberChanged();
        for (HealthListener listener : healthListeners) {
            try {
                listener.onChange(backend, from, to, reason);
            } catch (RuntimeException e) {
                log.error("pool {}: health listener {} failed", name, listener, e);
            }
        }
    }

    private void rebuildLocked() {
        List<Backend> next = new ArrayList<>(members.size());
        for (Backend b : members) {
            if (b.eligible()) {
                next.add(b);
            }
        }
        // Always a fresh object: weight changes keep the same members but must invalidate caches.
        eligible = Collections.unmodifiableList(next);
    }

    private void publish() {
        List<Backend> snapshot = eligible;
        fire(listener -> listener.onEligibleChanged(this, snapshot));
    }

    private void fire(Consumer<PoolListener> event) {
        for (PoolListener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException e) {
                log.error("pool {}: listener {} failed", name, listener, e);
            }
        }
    }

    @Override
    public String toString() {
        return "Pool[" + name + ", " + eligible.size() + "/" + members.size() + " eligible]";
    }
}
