package dev.portico.server.ui;

import dev.portico.server.control.Api;
import dev.portico.server.ui.DashboardBrowserTest.Browser;
import dev.portico.server.ui.DashboardBrowserTest.Portico;
import dev.portico.tunnel.TunDevice;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A tunnel service on the dashboard, in Debian's headless Chromium: a row per session with its
 * state, side and transport, and a Reconnect button that is off while the session is down. The
 * service needs {@code /dev/net/tun}; without it (or Chromium) the test is skipped, saying which.
 */
class TunnelDashboardTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void needs() {
        DashboardBrowserTest.assumeChromium();
        String why = TunDevice.unavailable();
        assumeTrue(why == null, () -> "skipped: a tunnel service needs /dev/net/tun: " + why);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void showsEachSessionWithItsStateAndAReconnectButton() throws Exception {
        Path config = Files.writeString(dir.resolve("portico.yaml"), """
                workers: 1
                state_dir: %s
                admin:
                  listen: 127.0.0.1:0
                  tokens:
                    - {token: reader-token, role: read}
                services:
                  wan:
                    type: tunnel
                    listen: [127.0.0.1:0]
                    sessions:
                      warp1: {local: 10.19.27.1, peer: 10.19.27.2, token: t}
                      warp2: {local: 10.19.37.1, peer: 10.19.37.2, token: t, transport: datagram}
                """.formatted(dir.resolve("state")));
        try (Portico p = new Portico("serve", "-c", config.toString()); Browser b = new Browser(dir.resolve("profile"))) {
            Api api = new Api(p.adminUrl(), "reader-token");
            assertThat(api.get("/api/v1/services/wan/tunnel").json().get("sessions")).hasSize(2);
            b.driver.get(p.adminUrl() + "/#token=reader-token");
            WebElement wan = b.waitFor(By.cssSelector("section[data-service='wan']"));
            b.until(d -> wan.findElements(By.cssSelector("table.tunnel-sessions tr[data-session]")).size() == 2);
            WebElement row = wan.findElement(By.cssSelector("tr[data-session='warp2']"));
            assertThat(row.getText()).contains("down", "warp2 (server, datagram)");
            assertThat(row.getAttribute("class")).contains("health-down");
            assertThat(row.findElement(By.cssSelector("button.reconnect")).isEnabled()).isFalse();
            b.screenshot("tunnel");
        }
    }
}
