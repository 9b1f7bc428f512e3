package dev.portico.server.cmd;

import dev.portico.server.Cli;
import dev.portico.server.CliRun;
import dev.portico.server.TestTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class CheckCommandTest {

    @TempDir
    Path dir;

    @Test
    void aGoodFileIsOk() throws Exception {
        Path f = Files.writeString(dir.resolve("good.yaml"), """
                services:
                  a: {type: echo, listen: "127.0.0.1:7001"}
                  b: {type: static-echo, listen: "127.0.0.1:7002"}
                """);
        CliRun r = CliRun.run(TestTypes.all(), "check", "-c", f.toString());
        assertThat(r.status).as(r.toString()).isZero();
        assertThat(r.out).isEqualTo(f + ": OK (2 services)\n");
        assertThat(r.err).isEmpty();
    }

    @Test
    void oneServiceIsSingular() throws Exception {
        Path f = Files.writeString(dir.resolve("one.yaml"), "services:\n  a: {type: echo, listen: 1}\n");
        assertThat(CliRun.run(TestTypes.all(), "check", "-c", f.toString()).out).isEqualTo(f + ": OK (1 service)\n");
    }

    @Test
    void problemsArePrintedWithFileLineColumnAndExit1() throws Exception {
        Path f = Files.writeString(dir.resolve("bad.yaml"), """
                workers: many
                services:
                  a:
                    type: echo
                    listen: 127.0.0.1:7001
                    prefixx: "> "
                """);
        CliRun r = CliRun.run(TestTypes.all(), "check", "-c", f.toString());
        assertThat(r.status).isEqualTo(Cli.FAILED);
        assertThat(r.out).isEmpty();
        assertThat(r.err.lines()).containsExactly(
                f + ":1:10: bad 'config.workers': 'many' is not a whole number",
                f + ":6:5: unknown key 'prefixx' in 'services.a'; did you mean 'prefix'?");
    }

    @Test
    void problemsAreListedInFileOrder() throws Exception {
        Path f = Files.writeString(dir.resolve("order.yaml"), """
                services:
                  a:
                    type: echo
                    listen: 127.0.0.1:7001
                    prefixx: "> "
                log_level: loud
                workers: many
                """);
        CliRun r = CliRun.run(TestTypes.all(), "check", "-c", f.toString());
        assertThat(r.status).isEqualTo(Cli.FAILED);
        assertThat(r.err.lines()).hasSize(3);
        assertThat(r.err.lines().map(l -> l.substring(f.toString().length() + 1, l.indexOf(": ")))
                .toList()).containsExactly("5:5", "6:12", "7:10");
    }

    @Test
    void aWildcardNameUnderAcmeIsRefusedAtItsLineWithTheReason() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        Path f = Files.writeString(dir.resolve("acme.yaml"), """
                services:
                  site:
                    type: web
                    root: www
                    listen: 127.0.0.1:8443
                    tls:
                      acme:
                        directory: https://acme.example.test/directory
                        names: [www.example.test, "*.example.test"]
                """);
        CliRun r = CliRun.run(dev.portico.server.Main.builtinTypes(), "check", "-c", f.toString());
        assertThat(r.status).as(r.toString()).isEqualTo(Cli.FAILED);
        assertThat(r.err.lines()).containsExactly(f + ":9:35: bad 'services.site.tls.acme.names': '*.example.test' is a"
                + " wildcard name: a wildcard certificate needs the DNS-01 challenge, which Portico does not support yet;"
                + " list each name instead");
    }

    @Test
    void aMissingFileIsAProblemToo() {
        CliRun r = CliRun.run(TestTypes.all(), "check", "-c", dir.resolve("nope.yaml").toString());
        assertThat(r.status).isEqualTo(Cli.FAILED);
        assertThat(r.err).isEqualTo(dir.resolve("nope.yaml") + ": no such file\n");
    }

    @Test
    void theConfigFlagIsRequired() {
        CliRun r = CliRun.run(TestTypes.all(), "check");
        assertThat(r.status).isEqualTo(Cli.USAGE);
        assertThat(r.err).contains("Missing required option: '--config=FILE'");
    }

    @Test
    void serveRefusesABadFileTheSameWay() throws Exception {
        Path f = Files.writeString(dir.resolve("bad.yaml"), "services:\n  a: {type: echoo, listen: 1}\n");
        CliRun r = CliRun.run(TestTypes.all(), "serve", "-c", f.toString());
        assertThat(r.status).isEqualTo(Cli.FAILED);
        assertThat(r.err).isEqualTo(f + ":2:13: unknown service type 'echoo'; did you mean 'echo'? "
                + "(this build knows: echo, static-echo, web, dns)\n");
    }
}
