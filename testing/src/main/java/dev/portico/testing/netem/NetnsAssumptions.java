package dev.portico.testing.netem;

import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * For JUnit tests that build a {@link NetnsTopology}: skips the test, naming exactly what is
 * missing (root, {@code /dev/net/tun}, network namespaces, a command and its Debian package),
 * rather than letting it pass or fail for want of them.
 */
public final class NetnsAssumptions {

    private NetnsAssumptions() {
    }

    /** Skips unless {@link NetnsTopology#missing(String...)} finds nothing missing. */
    public static void assumeNetns(String... commands) {
        List<String> missing = NetnsTopology.missing(commands);
        Assumptions.assumeTrue(missing.isEmpty(),
                () -> "skipped: this test needs " + String.join(", ", missing));
    }
}
