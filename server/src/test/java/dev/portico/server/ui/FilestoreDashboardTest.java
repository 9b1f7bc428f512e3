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
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A file store on the dashboard, in Debian's headless Chromium: its reads and its nodes' health. */
class FilestoreDashboardTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void needsChromium() {
        DashboardBrowserTest.assumeChromium();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void showsReadsAndTurnsANodeRedWhenItDies() throws Exception {
        try (NamedBackend one = new NamedBackend("one"); NamedBackend two = new NamedBackend("two")) {
            Path config = Files.writeString(dir.resolve("portico.yaml"), """
                    workers: 1
                    state_dir: %s
                    admin:
                      listen: 127.0.0.1:0
                      tokens:
                        - {token: reader-token, role: read}
                    services:
                      files:
                        type: filestore
                        listen: [127.0.0.1:0]
                        nodes: [%s, %s]
                        health: tcp
                    """.formatted(dir.resolve("state"), one.address(), two.address()));
            try (Portico p = new Portico("serve", "-c", config.toString()); Browser b = new Browser(dir.resolve("profile"))) {
                Api api = new Api(p.adminUrl(), "reader-token");
                String origin = "http://" + api.get("/api/v1/services/files").json().get("listeners").get(0).asText();
                assertThat(Api.fetch(origin + "/_3fs_0/a.txt")).isIn("one", "two");

                b.driver.get(p.adminUrl() + "/#token=reader-token");
                WebElement files = b.waitFor(By.cssSelector("section[data-service='files']"));
                b.until(d -> files.findElements(By.cssSelector("table.fs-nodes tr.health-up")).size() == 2);
                b.until(d -> files.findElement(By.cssSelector(".fs-stats [data-counter='reads']")).getText()
                        .contains("reads (1)"));
                WebElement ops = files.findElement(By.cssSelector(".fs-ops"));
                assertThat(ops.findElement(By.cssSelector("[data-counter='journal'] b")).getText()).isEqualTo("0");
                assertThat(ops.findElement(By.cssSelector("[data-counter='journal']")).getText())
                        .contains("handoff journal records");
                assertThat(ops.findElement(By.cssSelector("[data-counter='check'] b")).getText()).isEqualTo("none");
                assertThat(ops.findElement(By.cssSelector("[data-counter='repair'] b")).getText()).isEqualTo("none");
                assertThat(ops.findElement(By.cssSelector("button[data-action='repair']")).isEnabled()).isTrue();
                WebElement row = files.findElement(By.cssSelector("tr[data-node='" + one.address() + "']"));
                assertThat(row.getText()).contains(one.address(), "up");

                two.close();
                b.until(d -> files.findElements(By.cssSelector("tr[data-node='" + two.address() + "'].health-down"))
                        .size() == 1);
                assertThat(files.findElements(By.cssSelector("tr[data-node='" + one.address() + "'].health-up")))
                        .hasSize(1);
                b.screenshot("filestore");
            }
        }
    }
}
