package dev.portico.server.cmd;

import dev.portico.server.CliRun;
import dev.portico.server.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code portico train}, the workload the launcher's AOT cache is made from. */
class TrainCommandTest {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void checksServesAndAnswersEveryServiceThenExits() {
        CliRun r = CliRun.run(Main.builtinTypes(), "train");

        // A request that got no answer, a 5xx or a DNS timeout would make the status 1 and be named on stderr.
        assertThat(r.err).doesNotContain("portico train:");
        assertThat(r.status).isZero();
        assertThat(r.out).contains(": OK (5 services)")
                .contains("service site (web)").contains("service balanced (lb)")
                .contains("service proxied (proxy)").contains("service names (dns)");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theWebWorkloadServesTheQuickStartAloneAndAnswersItThenExits() {
        CliRun r = CliRun.run(Main.builtinTypes(), "train", "web");

        assertThat(r.err).doesNotContain("portico train:");
        assertThat(r.status).isZero();
        assertThat(r.out).contains("(portico web)").containsPattern("service web: http://127\\.0\\.0\\.1:\\d+/")
                .contains("admin: off").doesNotContain("service site (web)").doesNotContain(": OK (");
    }

    @Test
    void anUnknownWorkloadIsAUsageError() {
        CliRun r = CliRun.run(Main.builtinTypes(), "train", "everything");

        assertThat(r.status).isEqualTo(2);
        assertThat(r.err).contains("everything").contains("all").contains("web");
    }

    @Test
    void isHiddenFromTheHelp() {
        CliRun r = CliRun.run(Main.builtinTypes(), "--help");

        assertThat(r.out + r.err).contains("serve").doesNotContain("train");
    }
}
