package dev.portico.upstream.health;

import dev.portico.upstream.Backend;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * ICMP echo through {@link InetAddress#isReachable(int)} on the blocking executor when the process
 * may send ICMP (see {@link IcmpCapability}); otherwise every check is a TCP connect.
 */
final class IcmpProbe implements Probe {

    private final boolean icmpAllowed;
    private final Executor blocking;
    private final Duration timeout;
    private final Probe fallback;

    IcmpProbe(boolean icmpAllowed, Executor blocking, Duration timeout, Probe fallback) {
        this.icmpAllowed = icmpAllowed;
        this.blocking = blocking;
        this.timeout = timeout;
        this.fallback = fallback;
    }

    /** Whether checks really use ICMP (false: TCP fallback). */
    boolean usesIcmp() {
        return icmpAllowed;
    }

    @Override
    public CompletableFuture<ProbeResult> check(Backend backend) {
        if (!icmpAllowed) {
            return fallback.check(backend);
        }
        return CompletableFuture.supplyAsync(() -> ping(backend), blocking);
    }

    private ProbeResult ping(Backend backend) {
        String host = backend.address().host();
        try {
            InetAddress address = InetAddress.getByName(host);
            long started = System.nanoTime();
            if (address.isReachable((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))) {
                return ProbeResult.passed("icmp echo from " + address.getHostAddress() + " in "
                        + (System.nanoTime() - started) / 1_000_000 + "ms");
            }
            return ProbeResult.failed("icmp: no echo reply from " + address.getHostAddress() + " within "
                    + timeout.toMillis() + "ms");
        } catch (IOException e) {
            return ProbeResult.failed("icmp " + host + ": " + ProbeResult.failed(e).detail());
        }
    }

    @Override
    public String toString() {
        return icmpAllowed ? "icmp" : "icmp (tcp fallback)";
    }
}
