package dev.portico.server;

import dev.portico.server.os.NotifyListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A daemon started the way systemd starts a {@code Type=notify} unit: {@code NOTIFY_SOCKET} names
 * a datagram socket the test listens on, which receives READY=1 once the services listen,
 * RELOADING=1 and READY=1 around a SIGHUP reload, and STOPPING=1 on SIGTERM.
 */
@Timeout(120)
class SdNotifyProcessTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void reportsReadinessReloadsAndTheStop() throws Throwable {
        Path cfg = Files.writeString(dir.resolve("portico.yaml"), """
                workers: 1
                shutdown_grace: 1s
                admin: off
                services:
                  live:
                    type: echo
                    listen: 127.0.0.1:0
                    prefix: "v1 "
                """);
        try (NotifyListener systemd = NotifyListener.bind(dir.resolve("notify").toString(), WAIT);
             PorticoProcess p = PorticoProcess.start(dir, Map.of("NOTIFY_SOCKET", systemd.name()),
                     PorticoProcess.testClassPath(), "serve", "-c", cfg.toString())) {
            assertThat(systemd.receiveLine("READY=1")).as("READY=1\n%s", p).isNotNull();
            // Ready means listening: the service answers now.
            assertThat(dev.portico.testing.LineClient.ask(p.servicePort("live"), "a", Duration.ofSeconds(10)))
                    .isEqualTo("v1 a");

            p.signal("HUP");
            assertThat(systemd.receive()).as("after SIGHUP\n%s", p).startsWith("RELOADING=1\n");
            assertThat(systemd.receive()).as("after the reload\n%s", p).startsWith("READY=1\n");

            assertThat(p.terminate(Duration.ofSeconds(30))).isZero();
            assertThat(systemd.receive()).as("after SIGTERM\n%s", p).isEqualTo("STOPPING=1");
        }
    }
}
