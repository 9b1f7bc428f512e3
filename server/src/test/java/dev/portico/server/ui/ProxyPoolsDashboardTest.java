package dev.portico.server.ui;

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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A proxy's pools on the dashboard, in Debian's headless Chromium: hosts with their health and admin state. */
class ProxyPoolsDashboardTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void needsChromium() {
        DashboardBrowserTest.assumeChromium();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void showsEachPoolsHostsAndTurnsAHostRedWhenItsBackendDies() throws Exception {
        try (NamedBackend one = new NamedBackend("one"); NamedBackend two = new NamedBackend("two")) {
            Path config = Files.writeString(dir.resolve("portico.yaml"), """
                    workers: 1
                    admin:
                      listen: 127.0.0.1:0
                      tokens:
                        - {token: writer-token, role: write}
                    services:
                      edge:
                        type: proxy
                        listen: [127.0.0.1:0]
                        pools:
                          "*": {backends: [%s, %s], health: "tcp"}
                        cache: {memory_size: 1m}
                    """.formatted(one.address(), two.address()));
            try (Portico p = new Portico("serve", "-c", config.toString()); Browser b = new Browser(dir.resolve("profile"))) {
                Api api = new Api(p.adminUrl(), "writer-token");
                String origin = "http://" + api.get("/api/v1/services/edge").json().get("listeners").get(0).asText();
                assertThat(List.of(Api.fetch(origin + "/"), Api.fetch(origin + "/"))).containsExactlyInAnyOrder("one", "two");

                b.driver.get(p.adminUrl() + "/#token=writer-token");
                WebElement edge = b.waitFor(By.cssSelector("section[data-service='edge']"));
                By rows = By.cssSelector("table.pools tr.host");
                b.until(d -> edge.findElements(rows).size() == 2
                        && edge.findElements(By.cssSelector("table.pools tr.host[data-health='up']")).size() == 2);
                assertThat(edge.findElement(By.cssSelector("table.pools .gname")).getText()).isEqualTo("pool * (any other Host)");
                WebElement row = edge.findElement(By.cssSelector("tr.host[data-host='" + one.address() + "']"));
                assertThat(row.getText()).contains(one.address(), "up", "enabled");
                // The pools come from the config: no remove, no add-host form, no scheduler menu.
                assertThat(edge.findElements(By.cssSelector("button[data-action='remove'], form.add-host, select.scheduler")))
                        .isEmpty();
                // A host is disabled and enabled again from its row, through the API.
                row.findElement(By.cssSelector("button[data-action='disable']")).click();
                b.until(d -> "disabled".equals(edge.findElement(By.cssSelector("tr.host[data-host='" + one.address() + "']"))
                        .getAttribute("data-admin")));
                assertThat(api.get("/api/v1/services/edge/groups/*/hosts/" + one.address()).json().get("admin").asText())
                        .isEqualTo("disabled");
                assertThat(List.of(Api.fetch(origin + "/"), Api.fetch(origin + "/"))).containsExactly("two", "two");
                edge.findElement(By.cssSelector("tr.host[data-host='" + one.address() + "'] button[data-action='enable']")).click();
                b.until(d -> "enabled".equals(edge.findElement(By.cssSelector("tr.host[data-host='" + one.address() + "']"))
                        .getAttribute("data-admin")));
                // The cache panel stays.
                b.until(d -> edge.findElement(By.cssSelector(".cache")).isDisplayed());

                two.close();
                b.until(d -> edge.findElements(By.cssSelector("tr.host[data-host='" + two.address() + "'][data-health='down']"))
                        .size() == 1);
                b.until(d -> d.getTitle().startsWith("1 down"));
                assertThat(edge.findElement(By.cssSelector("tr.host[data-host='" + one.address() + "']"))
                        .getAttribute("data-health")).isEqualTo("up");
                b.screenshot("proxy-pools");
            }
        }
    }
}
