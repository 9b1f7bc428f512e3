package dev.portico.server.cmd;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.portico.dns.DnsService;
import dev.portico.server.CliRun;
import dev.portico.server.Daemon;
import dev.portico.testing.LogCapture;
import dev.portico.server.Main;
import dev.portico.testing.TempSite;
import dev.portico.web.WebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Log lines write addresses as they are written in a config, and name a service once. */
@Timeout(60)
class ListenerLogTest {

    @TempDir
    Path dir;

    private static List<String> messages(LogCapture log) {
        return log.events(Level.INFO).stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void aWildcardListenerIsLoggedAsZeroZeroZeroZero() throws Exception {
        TempSite site = new TempSite(dir.resolve("site")).file("index.html", "x");
        try (LogCapture log = new LogCapture(WebServer.class)) {
            CliRun r = CliRun.run(Main.builtinTypes(), Daemon::requestStop, "web", site.root().toString(),
                    "--listen", "0.0.0.0:0", "--admin", "off", "--workers", "1");
            assertThat(r.status).as(r.toString()).isZero();
            assertThat(messages(log)).anySatisfy(m -> assertThat(m).matches("web: listening on 0\\.0\\.0\\.0:\\d+ \\(1 sockets\\)"));
            assertThat(messages(log)).noneMatch(m -> m.contains("/") || m.contains("0:0:0:0"));
        }
    }

    @Test
    void aServiceNamedAfterItsTypeIsNamedOnce() throws Exception {
        Path zone = Files.writeString(dir.resolve("example.test.zone"), """
                $ORIGIN example.test.
                @   300 IN SOA ns1 hostmaster 1 3600 600 86400 60
                @   300 IN NS  ns1
                ns1 300 IN A   192.0.2.53
                """);
        try (LogCapture log = new LogCapture(DnsService.class)) {
            CliRun r = CliRun.run(Main.builtinTypes(), Daemon::requestStop, "dns", "--listen", "127.0.0.1:0",
                    "--zone", "example.test=" + zone, "--admin", "off", "--workers", "1");
            assertThat(r.status).as(r.toString()).isZero();
            assertThat(r.out).contains("  service dns: dns udp+tcp 127.0.0.1:").doesNotContain("dns (dns)");
            assertThat(messages(log)).anySatisfy(m -> assertThat(m).startsWith("dns: serving zones [example.test.]"));
            assertThat(messages(log)).noneMatch(m -> m.startsWith("dns dns"));
        }
    }
}
