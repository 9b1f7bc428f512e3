package dev.portico.server.cmd;

import dev.portico.dns.DnsService;
import dev.portico.server.CliRun;
import dev.portico.server.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class DnsCommandTest {

    @TempDir
    Path dir;

    @Test
    void answersForTheZoneGivenOnTheCommandLine() throws Exception {
        Path zone = Files.writeString(dir.resolve("example.test.zone"), """
                $ORIGIN example.test.
                $TTL 300
                @   IN SOA ns1 hostmaster 1 3600 600 86400 60
                @   IN NS  ns1
                ns1 IN A   192.0.2.53
                www IN A   192.0.2.10
                """);
        CliRun r = CliRun.runChecked(d -> {
            DnsService dns = (DnsService) d.supervisor().running().getFirst().service();
            InetSocketAddress at = dns.localAddresses().getFirst();
            SimpleResolver resolver = new SimpleResolver(at);
            resolver.setTimeout(Duration.ofSeconds(5));
            Message answer = resolver.send(Message.newQuery(Record.newRecord(Name.fromString("WWW.example.test."), Type.A, DClass.IN)));
            assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(answer.getHeader().getFlag(Flags.AA)).isTrue();
            assertThat(((ARecord) answer.getSection(Section.ANSWER).getFirst()).getAddress().getHostAddress())
                    .isEqualTo("192.0.2.10");
            Message refused = resolver.send(Message.newQuery(Record.newRecord(Name.fromString("other.test."), Type.A, DClass.IN)));
            assertThat(refused.getRcode()).isEqualTo(Rcode.REFUSED);
        }, "dns", "--listen", "127.0.0.1:0", "--zone", "example.test=" + zone, "--admin", "off", "--workers", "1");
        assertThat(r.out).contains("service dns: dns udp+tcp 127.0.0.1:");
    }

    @Test
    void aBadZoneFlagIsAUsageError() throws Exception {
        CliRun r = CliRun.run(Main.builtinTypes(), d -> d.requestStop(), "dns", "--zone", "nofile", "--admin", "off");
        assertThat(r.status).isNotZero();
        assertThat(r.err).contains("--zone: 'nofile' is not ORIGIN=FILE");
    }
}
