package dev.portico.upstream.scheduler;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What a scheduler may know about the request being placed: the client's IP and an optional hash
 * key (a header value, a URI, a file id). Immutable.
 *
 * <p>Hash-based and sticky schedulers key on the hash key when present, otherwise on the client
 * IP; with neither, they fall back to their fallback scheduler.
 */
public final class SelectionContext {

    private static final SelectionContext EMPTY = new SelectionContext(null, null);

    private final InetAddress client;
    private final String key;

    private SelectionContext(InetAddress client, String key) {
        this.client = client;
        this.key = key;
    }

    /**
     * A context with nothing known.
     *
     * @return the empty context
     */
    public static SelectionContext empty() {
        return EMPTY;
    }

    /**
     * A context for a client IP.
     *
     * @param client the client's address
     * @return the context
     */
    public static SelectionContext ofClient(InetAddress client) {
        return new SelectionContext(java.util.Objects.requireNonNull(client, "client"), null);
    }

    /**
     * A context for a client socket address; only the IP is kept.
     *
     * @param client the client's socket address
     * @return the context, empty if the address is unresolved
     */
    public static SelectionContext ofClient(InetSocketAddress client) {
        InetAddress ip = client.getAddress();
        return ip == null ? EMPTY : new SelectionContext(ip, null);
    }

    /**
     * A context keyed by an explicit hash key.
     *
     * @param hashKey the key
     * @return the context
     */
    public static SelectionContext ofKey(String hashKey) {
        return new SelectionContext(null, java.util.Objects.requireNonNull(hashKey, "hashKey"));
    }

    /**
     * A copy of this context with a hash key added.
     *
     * @param hashKey the key
     * @return the new context
     */
    public SelectionContext withKey(String hashKey) {
        return new SelectionContext(client, java.util.Objects.requireNonNull(hashKey, "hashKey"));
    }

    /**
     * The client's IP.
     *
     * @return the IP, or empty if unknown
     */
    public Optional<InetAddress> client() {
        return Optional.ofNullable(client);
    }

    /**
     * The explicit hash key.
     *
     * @return the key, or empty if none was given
     */
    public Optional<String> hashKey() {
        return Optional.ofNullable(key);
    }

    /** The affinity key: the hash key if present, else the client IP, else {@code null}. */
    Object affinityKey() {
        return key != null ? key : client;
    }

    /** Whether hashing has something to hash. */
    boolean hasAffinityKey() {
        return key != null || client != null;
    }

    /** 64-bit hash of the affinity key; call only when {@link #hasAffinityKey()}. */
    long affinityHash() {
        byte[] bytes = key != null ? key.getBytes(StandardCharsets.UTF_8) : client.getAddress();
        return Hashing.hash64(bytes, 0);
    }

    @Override
    public String toString() {
        return "SelectionContext[client=" + client + ", key=" + key + "]";
    }
}
