package dev.portico.server;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {

    @Test
    void helpListsTheSubcommands() {
        CliRun r = CliRun.run(TestTypes.all(), "--help");
        assertThat(r.status).isZero();
        assertThat(r.out).contains("Usage: portico", "serve", "check", "web", "demo", "import-3xsd");
    }

    @Test
    void versionComesFromTheBuild() {
        CliRun r = CliRun.run(TestTypes.all(), "--version");
        assertThat(r.status).isZero();
        assertThat(r.out).startsWith("portico " + VersionInfo.version()).contains("Java " + Runtime.version());
        assertThat(VersionInfo.version()).matches("\\d+\\.\\d+\\.\\d+.*");
    }

    @Test
    void noSubcommandPrintsUsageAndFails() {
        CliRun r = CliRun.run(TestTypes.all());
        assertThat(r.status).isEqualTo(Cli.USAGE);
        assertThat(r.err).contains("Usage: portico");
    }

    @Test
    void unknownSubcommandIsAUsageError() {
        CliRun r = CliRun.run(TestTypes.all(), "srve");
        assertThat(r.status).isEqualTo(Cli.USAGE);
        assertThat(r.err).contains("Unmatched argument").contains("serve");
    }

    @Test
    void quickStartsShareTheRuntimeFlags() {
        for (String cmd : new String[] {"web", "demo"}) {
            CliRun r = CliRun.run(TestTypes.all(), cmd, "--help");
            assertThat(r.out).as(cmd).contains("--listen=HOST:PORT", "--workers=N", "--admin=HOST:PORT|off",
                    "--log-level=LEVEL");
        }
    }

    @Test
    void theRealBuildFailsClearlyWithoutTheWebType() {
        CliRun r = CliRun.run(ServiceTypes.of(), "web", ".", "--admin", "off");
        assertThat(r.status).isEqualTo(Cli.FAILED);
        assertThat(r.err).contains("this build has no 'web' service type");
    }
}
