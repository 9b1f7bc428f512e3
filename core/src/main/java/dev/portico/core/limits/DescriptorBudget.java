package dev.portico.core.limits;

import java.util.List;
import java.util.Optional;

/**
 * How the process's file descriptors are shared among its listeners, and the connection caps
 * that follow when the config sets none.
 *
 * <p>Of the limit {@code L} ({@code RLIMIT_NOFILE}), {@link #reserve()} keeps
 * {@code min(L/2, 192 + L/10)} for the process itself (libraries, logs, listening sockets, event
 * loops, health checks: 192) and for files being served and cache files ({@code L/10}), and the
 * admin endpoint's own cap is set aside too. What is left, {@link #usable()}, is shared evenly by
 * the services of the config, and a service's default cap is its share divided by the descriptors
 * one of its connections holds (1 for web and DNS over TCP, 2 for proxy and lb: the client's and
 * the upstream's):
 *
 * <pre>
 * max_connections = (L - min(L/2, 192 + L/10) - admin.max_connections) / services / descriptors per connection
 * </pre>
 *
 * <p>With {@code L = 20000}, one service and the admin default of 64, a web service may hold
 * 17744 connections and a proxy 8872. Where the limit cannot be read {@link #FALLBACK_LIMIT} is
 * assumed.
 *
 * @param limit    the descriptor limit in force (the soft {@code RLIMIT_NOFILE})
 * @param admin    the admin endpoint's connection cap (0 when it is off)
 * @param services how many services share the rest (at least 1)
 * @param known    false when {@code limit} is the fallback, not the process's real limit
 */
public record DescriptorBudget(long limit, int admin, int services, boolean known) {

    /** The limit assumed where it cannot be read (not Linux, no native access). */
    public static final long FALLBACK_LIMIT = 16_384;
    /** The admin endpoint's connection cap unless configured. */
    public static final int DEFAULT_ADMIN_CONNECTIONS = 64;
    /** Descriptors kept for the process itself before the share for served files is counted. */
    static final int PROCESS_RESERVE = 192;

    public DescriptorBudget {
        if (limit < 1 || admin < 0 || services < 1) {
            throw new IllegalArgumentException("limit " + limit + ", admin " + admin + ", services " + services);
        }
    }

    /** The budget for a process with limit {@code limit} (unknown: the fallback) and the default admin cap. */
    public static DescriptorBudget of(FileLimit limit, int admin, int services) {
        return limit.known() ? new DescriptorBudget(limit.soft(), admin, Math.max(1, services), true)
                : new DescriptorBudget(FALLBACK_LIMIT, admin, Math.max(1, services), false);
    }

    /** Descriptors kept for the process and the files it serves. */
    public long reserve() {
        return Math.min(limit / 2, PROCESS_RESERVE + limit / 10);
    }

    /** Descriptors the services' connections may hold together. */
    public long usable() {
        return Math.max(services, limit - reserve() - admin);
    }

    /**
     * The connection cap of a service that sets none.
     *
     * @param descriptorsPerConnection 1 for a plain client connection, 2 with an upstream one
     */
    public int defaultMaxConnections(int descriptorsPerConnection) {
        long share = usable() / services / Math.max(1, descriptorsPerConnection);
        return (int) Math.clamp(share, 1, Integer.MAX_VALUE);
    }

    /** {@code configured} when it is set (above 0), else {@link #defaultMaxConnections}. */
    public int maxConnections(int configured, int descriptorsPerConnection) {
        return configured > 0 ? configured : defaultMaxConnections(descriptorsPerConnection);
    }

    /**
     * A warning when the caps together, with the reserve and the admin cap, can take more
     * descriptors than the limit: the process could then run out of descriptors before any cap
     * refuses a connection. Empty when they fit, or when the limit is not known.
     */
    public Optional<String> check(List<ConnectionCap> caps) {
        long total = reserve() + admin;
        for (ConnectionCap c : caps) {
            total += c.descriptors();
        }
        if (!known || total <= limit) {
            return Optional.empty();
        }
        StringBuilder b = new StringBuilder("the connection caps can take more file descriptors than the limit of ")
                .append(limit).append(": ");
        for (ConnectionCap c : caps) {
            b.append(c).append(", ");
        }
        b.append("admin ").append(admin).append(", reserve ").append(reserve()).append(" = ").append(total)
                .append(" descriptors; once they run out no listener (admin included) accepts anything;"
                        + " lower max_connections or raise the limit (ulimit -n, LimitNOFILE=)");
        return Optional.of(b.toString());
    }
}
