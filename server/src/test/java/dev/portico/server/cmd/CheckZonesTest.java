package dev.portico.server.cmd;

import dev.portico.dns.DnsServiceType;
import dev.portico.server.Cli;
import dev.portico.server.CliRun;
import dev.portico.server.ServiceTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code portico check} reads the zone files of DNS services and reports every error in them. */
class CheckZonesTest {

    private static final String GOOD = """
            $ORIGIN good.test.
            $TTL 300
            @    IN SOA ns1 hostmaster 1 7200 900 1209600 300
            @    IN NS  ns1
            ns1  IN A   192.0.2.53
            """;

    @TempDir
    Path dir;

    private Path config(String zones) throws Exception {
        return Files.writeString(dir.resolve("portico.yaml"), """
                services:
                  dns:
                    type: dns
                    listen: ["127.0.0.1:0"]
                    zones:
                %s""".formatted(zones));
    }

    private static CliRun check(Path config) {
        return CliRun.run(ServiceTypes.of(new DnsServiceType()), "check", "-c", config.toString());
    }

    @Test
    void goodZonesAreOk() throws Exception {
        Files.writeString(dir.resolve("good.zone"), GOOD);
        Path f = config("      good.test: good.zone\n");
        CliRun r = check(f);
        assertThat(r.status).as(r.toString()).isZero();
        assertThat(r.out).isEqualTo(f + ": OK (1 service)\n");
    }

    @Test
    void aMissingZoneFileIsAnErrorAtCheckTime() throws Exception {
        Path f = config("      good.test: nothere.zone\n");
        CliRun r = check(f);
        assertThat(r.status).as(r.toString()).isEqualTo(Cli.FAILED);
        assertThat(r.err.lines()).singleElement().asString()
                .startsWith(f + ":2:3: ")
                .contains("zone 'good.test' of service 'dns'").contains(dir.resolve("nothere.zone").toString()).contains("no such file");
    }

    @Test
    void everyErrorOfABrokenZoneFileIsReportedWithItsLine() throws Exception {
        Path zone = Files.writeString(dir.resolve("broken.zone"), GOOD + """
                www  IN A   192.0.2.300
                ok   IN A   192.0.2.1
                mx   IN MX  ten mail
                multi IN SOA ns1 hostmaster (
                         1 7200 bogus 1209600 300 )
                txt  IN TXT "fine"
                bad  IN AAAA not-an-address
                """);
        Path f = config("      good.test: broken.zone\n");
        CliRun r = check(f);
        assertThat(r.status).as(r.toString()).isEqualTo(Cli.FAILED);
        assertThat(r.out).isEmpty();
        assertThat(r.err.lines()).hasSize(4);
        assertThat(r.err.lines().map(l -> l.substring(0, l.indexOf(": ", zone.toString().length()))))
                .containsExactly(zone + ":6", zone + ":8", zone + ":10", zone + ":12");
    }
}
