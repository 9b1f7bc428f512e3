package dev.portico.upstream;

import dev.portico.core.net.HostPort;
import dev.portico.core.tls.ClientTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One upstream server: an address, a weight, an operator-controlled {@link AdminState}, a
 * {@link HealthState} driven by checks, and live {@link BackendStats}. Thread-safe.
 *
 * <p>The data path reports each connection: {@link #onConnectStart()} when it starts connecting,
 * then either {@link #onConnectFailed(String)} or, once the connection ends,
 * {@link #onClosed(long, long)}. A connect failure marks the backend {@link HealthState#DOWN} at
 * once (passive health); so do {@value #REQUEST_FALL} request failures in a row reported by
 * {@link #onRequestFailed(String)} with no {@link #onRequestSucceeded()} between them. Only active
 * checks bring it back.
 *
 * <p>Identity is by object: two backends with the same address are different members.
 */
public final class Backend {

    /** Smallest allowed weight. */
    public static final int MIN_WEIGHT = 1;
    /** Largest allowed weight. */
    public static final int MAX_WEIGHT = 65_535;

    /**
     * Request failures in a row that mark a backend down. More than one, so that a client cannot
     * take a backend out with one request it knows the backend fails (a slow or crashing URL)
     * while real traffic succeeds in between; a dead or hung backend fails every request.
     */
    public static final int REQUEST_FALL = 3;

    private static final Logger log = LoggerFactory.getLogger(Backend.class);

    private final String name;
    private final HostPort address;
    private final ClientTls tls;
    private final Ticker ticker;
    private final BackendStats stats = new BackendStats();
    private final AtomicReference<AdminState> adminState;
    private final AtomicReference<HealthState> health = new AtomicReference<>(HealthState.UNKNOWN);
    private volatile String healthReason;
    private volatile Instant healthChangedAt;
    private final List<HealthListener> healthListeners = new CopyOnWriteArrayList<>();
    private final List<Pool> pools = new CopyOnWriteArrayList<>();
    private volatile int weight;
    private final java.util.concurrent.atomic.AtomicInteger requestFailures = new java.util.concurrent.atomic.AtomicInteger();

    private Backend(Builder b) {
        this.name = b.name != null ? b.name : b.address.toString();
        this.address = b.address;
        this.tls = b.tls;
        this.ticker = b.ticker;
        this.weight = b.weight;
        this.adminState = new AtomicReference<>(b.adminState);
    }

    /**
     * Starts a builder.
     *
     * @param address the backend's address
     * @return a builder with weight 1, {@link AdminState#ENABLED} and the system ticker
     */
    public static Builder builder(HostPort address) {
        return new Builder(address);
    }

    /**
     * A backend with default settings.
     *
     * @param hostPort {@code host:port}
     * @return the backend, named after its address
     */
    public static Backend of(String hostPort) {
        return builder(HostPort.parse(hostPort)).build();
    }

    /**
     * A backend with a weight.
     *
     * @param hostPort {@code host:port}
     * @param weight   the weight
     * @return the backend, named after its address
     */
    public static Backend of(String hostPort, int weight) {
        return builder(HostPort.parse(hostPort)).weight(weight).build();
    }

    /**
     * The stable name; consistent-hash schedulers hash it, so keep it stable across restarts.
     *
     * @return the name (defaults to {@code host:port})
     */
    public String name() {
        return name;
    }

    /**
     * The address connections go to.
     *
     * @return the address
     */
    public HostPort address() {
        return address;
    }

    /**
     * How connections to this backend speak TLS (proxy traffic and HTTP health checks).
     *
     * @return the client TLS, or null when connections are plain
     */
    public ClientTls tls() {
        return tls;
    }

    /**
     * The relative weight for weighted schedulers.
     *
     * @return the weight
     */
    public int weight() {
        return weight;
    }

    /**
     * Changes the weight; pools holding this backend publish a new snapshot.
     *
     * @param newWeight the new weight, {@value #MIN_WEIGHT} to {@value #MAX_WEIGHT}
     */
    public void weight(int newWeight) {
        int old = weight;
        weight = checkWeight(newWeight);
        if (old != newWeight) {
            log.info("backend {}: weight {} -> {}", name, old, newWeight);
            notifyPools();
        }
    }

    /**
     * The operator-controlled state.
     *
     * @return the admin state
     */
    public AdminState adminState() {
        return adminState.get();
    }

    /**
     * Changes the admin state; pools holding this backend publish a new snapshot.
     *
     * @param state the new state
     */
    public void adminState(AdminState state) {
        Objects.requireNonNull(state, "state");
        AdminState old = adminState.getAndSet(state);
        if (old != state) {
            log.info("backend {}: admin state {} -> {}", name, old, state);
            notifyPools();
        }
    }

    /**
     * The current health.
     *
     * @return the health state
     */
    public HealthState health() {
        return health.get();
    }

    /**
     * Whether new connections may go here: admin {@link AdminState#ENABLED} and health usable, or
     * admin {@link AdminState#FORCED_UP} whatever the health.
     *
     * @return {@code true} if eligible for selection
     */
    public boolean eligible() {
        AdminState a = adminState.get();
        return a == AdminState.FORCED_UP || a == AdminState.ENABLED && health.get().usable();
    }

    /**
     * The live counters.
     *
     * @return the stats
     */
    public BackendStats stats() {
        return stats;
    }

    /** Why the health state last changed ("first check passed: …", "check failed 3/3: …"), or null. */
    public String healthReason() {
        return healthReason;
    }

    /**
     * When the health state last changed, by the backend's ticker.
     *
     * @return the time of the last change, or null while it has never changed (still UNKNOWN)
     */
    public Instant healthChangedAt() {
        return healthChangedAt;
    }

    /**
     * Sets the health state, logs the change with its reason and notifies listeners and pools.
     * Does nothing if the state is already {@code to}.
     *
     * @param to     the new state
     * @param reason why, for logs and listeners
     * @return {@code true} if the state changed
     */
    public boolean markHealth(HealthState to, String reason) {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(reason, "reason");
        HealthState from = health.getAndSet(to);
        if (from == to) {
            return false;
        }
        healthReason = reason;
        healthChangedAt = ticker.now();
        if (to == HealthState.DOWN) {
            log.warn("backend {} is DOWN (was {}): {}", this, from, reason);
        } else {
            log.info("backend {} is {} (was {}): {}", this, to, from, reason);
        }
        for (HealthListener listener : healthListeners) {
            notifySafely(listener, from, to, reason);
        }
        for (Pool pool : pools) {
            pool.memberHealthChanged(this, from, to, reason);
        }
        return true;
    }

    /** Data path: a connection attempt to this backend starts. */
    public void onConnectStart() {
        stats.connectStarted();
    }

    /**
     * Data path: the connection attempt failed. Counts the failure and marks the backend
     * {@link HealthState#DOWN} at once; active checks bring it back.
     *
     * @param reason what failed, for example the exception message
     */
    public void onConnectFailed(String reason) {
        Objects.requireNonNull(reason, "reason");
        stats.connectFailed(ticker.now(), reason);
        markHealth(HealthState.DOWN, "connect failed: " + reason);
    }

    /**
     * Data path: a request sent here failed before any response (reset, timeout, or a 5xx the
     * proxy may retry elsewhere). Counts the failure; the {@value #REQUEST_FALL}th in a row marks
     * the backend {@link HealthState#DOWN}, as one connect failure does; active checks bring it back.
     *
     * @param reason what failed
     */
    public void onRequestFailed(String reason) {
        Objects.requireNonNull(reason, "reason");
        stats.requestFailed(ticker.now(), reason);
        int inARow = requestFailures.incrementAndGet();
        if (inARow >= REQUEST_FALL) {
            requestFailures.set(0);
            markHealth(HealthState.DOWN, "request failed " + inARow + " times in a row: " + reason);
        }
    }

    /** Data path: a request sent here got a response; request failures start counting again. */
    public void onRequestSucceeded() {
        if (requestFailures.get() != 0) {
            requestFailures.set(0);
        }
    }

    /** Data path: a request that failed here was sent again to another backend (or connection). */
    public void onRetried() {
        stats.retried();
    }

    /**
     * Data path: an established connection closed.
     *
     * @param bytesIn  bytes received from the backend (not yet given to {@link #onTransferred})
     * @param bytesOut bytes sent to the backend (not yet given to {@link #onTransferred})
     */
    public void onClosed(long bytesIn, long bytesOut) {
        stats.closed(ticker.nanoTime(), ticker.now(), bytesIn, bytesOut);
    }

    /**
     * Data path: bytes went over an open connection; they count in the stats at once, not only when
     * the connection closes. Call once per batch of reads or writes, not per buffer.
     *
     * @param bytesIn  bytes received from the backend
     * @param bytesOut bytes sent to the backend
     */
    public void onTransferred(long bytesIn, long bytesOut) {
        stats.transferred(bytesIn, bytesOut);
    }

    /**
     * Registers a health listener for this backend only.
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

    void joined(Pool pool) {
        pools.add(pool);
    }

    void left(Pool pool) {
        pools.remove(pool);
    }

    private void notifyPools() {
        for (Pool pool : pools) {
            pool.memberChanged();
        }
    }

    private void notifySafely(HealthListener listener, HealthState from, HealthState to, String reason) {
        try {
            listener.onChange(this, from, to, reason);
        } catch (RuntimeException e) {
            log.error("health listener {} failed for backend {}", listener, name, e);
        }
    }

    private static int checkWeight(int w) {
        if (w < MIN_WEIGHT || w > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight: " + w + " (expected: " + MIN_WEIGHT + "-" + MAX_WEIGHT + ")");
        }
        return w;
    }

    @Override
    public String toString() {
        return name.equals(address.toString()) ? name : name + "(" + address + ")";
    }

    /** Builds a {@link Backend}. */
    public static final class Builder {
        private final HostPort address;
        private String name;
        private int weight = 1;
        private AdminState adminState = AdminState.ENABLED;
        private Ticker ticker = Ticker.system();
        private ClientTls tls;

        private Builder(HostPort address) {
            this.address = Objects.requireNonNull(address, "address");
            if (address.port() == 0) {
                throw new IllegalArgumentException("backend " + address + ": port 0 (expected: 1-65535)");
            }
        }

        /**
         * Sets the name (default {@code host:port}).
         *
         * @param value the name
         * @return this builder
         */
        public Builder name(String value) {
            this.name = Objects.requireNonNull(value, "value");
            return this;
        }

        /**
         * Sets the weight (default 1).
         *
         * @param value {@value Backend#MIN_WEIGHT} to {@value Backend#MAX_WEIGHT}
         * @return this builder
         */
        public Builder weight(int value) {
            this.weight = checkWeight(value);
            return this;
        }

        /**
         * Sets the initial admin state (default {@link AdminState#ENABLED}).
         *
         * @param value the state
         * @return this builder
         */
        public Builder adminState(AdminState value) {
            this.adminState = Objects.requireNonNull(value, "value");
            return this;
        }

        /**
         * Makes connections to the backend TLS (default: plain).
         *
         * @param value the client TLS, or null for plain connections
         * @return this builder
         */
        public Builder tls(ClientTls value) {
            this.tls = value;
            return this;
        }

        /**
         * Sets the ticker used for close and failure timestamps (default the system ticker).
         *
         * @param value the ticker
         * @return this builder
         */
        public Builder ticker(Ticker value) {
            this.ticker = Objects.requireNonNull(value, "value");
            return this;
        }

        /**
         * Builds the backend.
         *
         * @return a new backend in health state {@link HealthState#UNKNOWN}
         */
        public Backend build() {
            return new Backend(this);
        }
    }
}
