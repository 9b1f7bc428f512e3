package dev.portico.server.cmd;

import dev.portico.server.CliRun;
import dev.portico.server.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The tunnel commands that need no device: the fingerprint, config checks and bad flags. */
@Timeout(60)
class TunnelCommandTest {

    @TempDir
    Path dir;

    private Path config(String sessions) throws Exception {
        Files.writeString(dir.resolve("warp.token"), "s3cret\n");
        return Files.writeString(dir.resolve("portico.yaml"), """
                state_dir: %s
                services:
                  wan:
                    type: tunnel
                    listen: [0.0.0.0:9000]
                    sessions:
                %s""".formatted(dir.resolve("state"), sessions));
    }

    @Test
    void theFingerprintIsMadeOnceAndKept() throws Exception {
        Path f = config("      warp1: {local: 10.19.27.1, peer: 10.19.27.2, token_file: warp.token}\n");
        CliRun first = CliRun.run(Main.builtinTypes(), "tunnel", "fingerprint", "-c", f.toString());
        assertThat(first.status).as(first.toString()).isZero();
        assertThat(first.out).matches("wan [0-9a-f]{64}\n");
        assertThat(dir.resolve("state/tunnel/wan/cert.pem")).exists();
        CliRun again = CliRun.run(Main.builtinTypes(), "tunnel", "fingerprint", "-c", f.toString());
        assertThat(again.out).isEqualTo(first.out);
    }

    @Test
    void checkReportsATooLongSessionNameAtItsLine() throws Exception {
        Path f = config("      warp1-is-far-too-long: {local: 10.19.27.1, peer: 10.19.27.2, token_file: warp.token}\n");
        CliRun r = CliRun.run(Main.builtinTypes(), "check", "-c", f.toString());
        assertThat(r.status).isEqualTo(dev.portico.server.Cli.FAILED);
        assertThat(r.err).contains(f + ":7:").contains("is 21 bytes; a device name takes 1 to 15");
    }

    @Test
    void checkAcceptsAGoodTunnel() throws Exception {
        Path f = config("      warp1: {local: 10.19.27.1, peer: 10.19.27.2, token_file: warp.token, compress: lz4}\n");
        CliRun r = CliRun.run(Main.builtinTypes(), "check", "-c", f.toString());
        assertThat(r.status).as(r.toString()).isZero();
    }

    @Test
    void aBadSessionFlagIsAUsageError() {
        CliRun r = CliRun.run(Main.builtinTypes(), "tunnel", "server", "--session", "warp1", "--token-file", "x");
        assertThat(r.status).isEqualTo(dev.portico.server.Cli.USAGE);
        assertThat(r.err).contains("--session: 'warp1' is not NAME=LOCAL:PEER");
    }

    @Test
    void tunnelAloneAsksForACommand() {
        CliRun r = CliRun.run(Main.builtinTypes(), "tunnel");
        assertThat(r.status).isEqualTo(dev.portico.server.Cli.USAGE);
        assertThat(r.err).contains("server, client or fingerprint");
    }
}
