package dev.portico.server.ui;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portico.server.control.Api;
import dev.portico.server.control.NamedBackend;
import dev.portico.server.ui.DashboardBrowserTest.Browser;
import dev.portico.server.ui.DashboardBrowserTest.Portico;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The dashboard's listener buttons in Debian's headless Chromium: open and close through the API. */
class ListenersDashboardTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @BeforeAll
    static void needsChromium() {
        DashboardBrowserTest.assumeChromium();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void opensAndClosesListenersOfLbAndWebServices() throws Exception {
        try (NamedBackend one = new NamedBackend("one")) {
            Files.createDirectories(dir.resolve("www"));
            Files.writeString(dir.resolve("www/index.html"), "site");
            Path config = Files.writeString(dir.resolve("portico.yaml"), """
                    workers: 1
                    admin:
                      listen: 127.0.0.1:0
                      tokens:
                        - {token: writer-token, role: write}
                    services:
                      front:
                        type: lb
                        listen: [127.0.0.1:0]
                        health: none
                        groups:
                          main: [%s]
                      site:
                        type: web
                        listen: 127.0.0.1:0
                        root: www
                    """.formatted(one.address()));
            try (Portico p = new Portico("serve", "-c", config.toString()); Browser b = new Browser(dir.resolve("profile"))) {
                Api api = new Api(p.adminUrl(), "writer-token");
                b.driver.get(p.adminUrl() + "/#token=writer-token");
                WebElement front = b.waitFor(By.cssSelector("section[data-service='front']"));
                WebElement site = b.waitFor(By.cssSelector("section[data-service='site']"));
                b.until(d -> front.findElements(By.cssSelector(".chip[data-listener]")).size() == 1);

                // Open one more listener on the lb service: it balances there at once.
                String extra = "127.0.0.1:" + freePort();
                WebElement form = front.findElement(By.cssSelector("form.open-listener"));
                form.findElement(By.name("listen-address")).sendKeys(extra);
                form.findElement(By.cssSelector("button[type='submit']")).click();
                await().atMost(WAIT).untilAsserted(() -> assertThat(listeners(api, "front")).contains(extra));
                assertThat(Api.fetch("http://" + extra + "/")).isEqualTo("one");
                WebElement chip = b.waitFor(By.cssSelector("section[data-service='front'] .chip[data-listener='" + extra + "']"));

                // Close it: the first click arms the button, the second closes.
                WebElement close = chip.findElement(By.cssSelector("button[data-action='close-listener']"));
                close.click();
                assertThat(close.getText()).isEqualTo("close?");
                assertThat(listeners(api, "front")).contains(extra);
                close.click();
                await().atMost(WAIT).untilAsserted(() -> assertThat(listeners(api, "front")).doesNotContain(extra));
                b.until(d -> d.findElements(By.cssSelector(".chip[data-listener='" + extra + "']")).isEmpty());
                assertThatThrownBy(() -> Api.fetch("http://" + extra + "/")).isInstanceOf(ConnectException.class);

                // The lb's last listener stays: the refusal is shown in place.
                WebElement last = front.findElement(By.cssSelector(".chip[data-listener] button[data-action='close-listener']"));
                last.click();
                last.click();
                By error = By.cssSelector("section[data-service='front'] .svc-msg .msg.error");
                b.until(d -> d.findElement(error).isDisplayed());
                assertThat(b.driver.findElement(error).getText()).contains("last listener");
                assertThat(listeners(api, "front")).hasSize(1);

                // A web service may close its only listener, and open it again.
                String siteAddress = listeners(api, "site").getFirst();
                assertThat(Api.fetch("http://" + siteAddress + "/")).isEqualTo("site");
                WebElement siteClose = site.findElement(By.cssSelector(".chip[data-listener] button[data-action='close-listener']"));
                siteClose.click();
                siteClose.click();
                await().atMost(WAIT).untilAsserted(() -> assertThat(listeners(api, "site")).isEmpty());
                b.until(d -> site.findElement(By.cssSelector(".listeners")).getText().equals("none"));
                assertThatThrownBy(() -> Api.fetch("http://" + siteAddress + "/")).isInstanceOf(ConnectException.class);
                WebElement siteForm = site.findElement(By.cssSelector("form.open-listener"));
                siteForm.findElement(By.name("listen-address")).sendKeys(siteAddress);
                siteForm.findElement(By.cssSelector("button[type='submit']")).click();
                await().atMost(WAIT).untilAsserted(() -> assertThat(listeners(api, "site")).containsExactly(siteAddress));
                assertThat(Api.fetch("http://" + siteAddress + "/")).isEqualTo("site");
                b.waitFor(By.cssSelector("section[data-service='site'] .chip[data-listener='" + siteAddress + "']"));
                b.screenshot("listeners");
            }
        }
    }

    private static List<String> listeners(Api api, String service) throws Exception {
        JsonNode s = api.get("/api/v1/services/" + service).json();
        List<String> out = new ArrayList<>();
        s.get("listeners").forEach(l -> out.add(l.asText()));
        return out;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
