package dev.portico.upstream.health;

import dev.portico.upstream.Backend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/** Builds the {@link Probe} for a {@link HealthCheckConfig}. */
public final class Probes {

    private static final Logger log = LoggerFactory.getLogger(Probes.class);

    private Probes() {
    }

    /**
     * The probe for a config, on the given transport. For {@link HealthCheckType#ICMP} it detects
     * whether ICMP is permitted and logs the decision.
     *
     * @param config    the check settings
     * @param transport where connections run
     * @return the probe
     */
    public static Probe forConfig(HealthCheckConfig config, ProbeTransport transport) {
        return forConfig(config, transport, IcmpCapability.detect());
    }

    /**
     * The probe for a config, with ICMP permission decided by the caller.
     *
     * @param config      the check settings
     * @param transport   where connections run
     * @param icmpAllowed whether ICMP checks may send echo requests; if not they use TCP connects
     * @return the probe
     */
    public static Probe forConfig(HealthCheckConfig config, ProbeTransport transport, boolean icmpAllowed) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(transport, "transport");
        Connector connector = new Connector(transport, config.timeout(), config.port());
        return switch (config.type()) {
            case NONE -> none();
            case TCP -> new TcpProbe(connector);
            case HTTP, HTTPS -> new HttpProbe(connector, config);
            case ICMP -> {
                if (icmpAllowed) {
                    log.info("icmp health checks: sending ICMP echo requests");
                } else {
                    log.warn("icmp health checks: this process may not send ICMP (needs CAP_NET_RAW or "
                            + "net.ipv4.ping_group_range); using TCP connects to each backend's port instead");
                }
                yield new IcmpProbe(icmpAllowed, transport.blockingExecutor(), config.timeout(), new TcpProbe(connector));
            }
        };
    }

    /**
     * A probe that always passes: backends marked down by the data path return after
     * {@code rise} down-intervals without being probed.
     *
     * @return the probe
     */
    public static Probe none() {
        return NONE;
    }

    private static final Probe NONE = new Probe() {
        @Override
        public CompletableFuture<ProbeResult> check(Backend backend) {
            return CompletableFuture.completedFuture(ProbeResult.passed("no active check"));
        }

        @Override
        public String toString() {
            return "no probe";
        }
    };
}
