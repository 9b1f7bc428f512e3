package dev.portico.server.ui;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portico.dns.DnsService;
import dev.portico.server.control.Api;
import dev.portico.server.control.LoopbackPort;
import dev.portico.server.ui.DashboardBrowserTest.Browser;
import dev.portico.server.ui.DashboardBrowserTest.Portico;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The dashboard's dynamic DNS records in Debian's headless Chromium, against {@code portico serve}
 * with a dns service whose record has real TCP health-check targets on loopback; each click is
 * checked through the API and with dnsjava queries.
 */
class RecordsDashboardTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String WWW = "/api/v1/services/names/records/www.example.test/addresses/";

    @TempDir
    Path dir;

    @BeforeAll
    static void needsChromium() {
        DashboardBrowserTest.assumeChromium();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void showsEachRecordsAddressesWithTheirHealthAndForcesThemUpAndDown() throws Exception {
        try (LoopbackPort a = new LoopbackPort("127.0.0.11"); LoopbackPort b = new LoopbackPort("127.0.0.12")) {
            Path config = config(a, b);
            try (Portico p = new Portico("serve", "-c", config.toString()); Browser br = new Browser(dir.resolve("profile"))) {
                DnsService dns = (DnsService) p.daemon.supervisor().running().getFirst().service();
                Api api = new Api(p.adminUrl(), "writer-token");
                br.driver.get(p.adminUrl() + "/#token=writer-token");
                WebElement rowA = br.waitFor(address(a));
                WebElement rowB = br.waitFor(address(b));
                br.until(d -> "up".equals(rowA.getDomAttribute("data-health"))
                        && "up".equals(rowB.getDomAttribute("data-health")));
                WebElement header = br.driver.findElement(By.cssSelector(
                        "section[data-service='names'] tbody[data-record='www.example.test'] tr.group-row"));
                br.until(d -> header.getText().contains("2 of 2 answered"));
                assertThat(header.getText()).contains("www.example.test", "TTL 300/5", "check tcp every 200ms");
                assertThat(br.driver.findElement(By.cssSelector(
                        "section[data-service='names'] tbody[data-record='_www.example.test'] tr.group-row")).getText())
                        .contains("fallback 1 of www.example.test");
                assertThat(rowA.getText()).contains(a.ip(), a.address(), "checks", "yes", "first check passed");
                assertThat(answers(dns)).containsExactlyInAnyOrder(a.ip(), b.ip());

                rowA.findElement(By.cssSelector("button[data-action='force-down']")).click();
                await().atMost(WAIT).untilAsserted(() ->
                        assertThat(api.get(WWW + a.ip()).json().get("forced").asText()).isEqualTo("down"));
                assertThat(answers(dns)).containsExactly(b.ip());
                br.until(d -> "down".equals(rowA.getDomAttribute("data-forced"))
                        && "false".equals(rowA.getDomAttribute("data-answered")));
                assertThat(rowA.findElement(By.cssSelector("button[data-action='force-down']"))
                        .getDomAttribute("aria-pressed")).isEqualTo("true");
                assertThat(rowA.getDomAttribute("data-health")).isEqualTo("up");

                // b's target dies: its row goes red after the fall threshold; forced up, it is answered anyway.
                b.close();
                br.until(d -> "down".equals(rowB.getDomAttribute("data-health")));
                assertThat(rowB.getDomAttribute("class")).contains("health-down");
                assertThat(rowB.getText()).contains("check failed");
                rowB.findElement(By.cssSelector("button[data-action='force-up']")).click();
                await().atMost(WAIT).untilAsserted(() -> {
                    JsonNode x = api.get(WWW + b.ip()).json();
                    assertThat(x.get("forced").asText()).isEqualTo("up");
                    assertThat(x.get("answered").asBoolean()).isTrue();
                });
                assertThat(answers(dns)).containsExactly(b.ip());
                br.until(d -> "up".equals(rowB.getDomAttribute("data-forced"))
                        && "true".equals(rowB.getDomAttribute("data-answered")));
                assertThat(rowB.getDomAttribute("data-health")).isEqualTo("down");
                br.screenshot("records");

                rowB.findElement(By.cssSelector("button[data-action='release']")).click();
                rowA.findElement(By.cssSelector("button[data-action='release']")).click();
                await().atMost(WAIT).untilAsserted(() -> assertThat(answers(dns)).containsExactly(a.ip()));
                br.until(d -> "none".equals(rowA.getDomAttribute("data-forced"))
                        && "none".equals(rowB.getDomAttribute("data-forced")));
                assertThat(rowB.getDomAttribute("data-answered")).isEqualTo("false");
            }
        }
    }

    private static By address(LoopbackPort port) {
        return By.cssSelector("section[data-service='names'] tbody[data-record='www.example.test'] tr[data-address='"
                + port.ip() + "']");
    }

    private static List<String> answers(DnsService dns) throws Exception {
        SimpleResolver r = new SimpleResolver(dns.localAddresses().getFirst());
        r.setTimeout(Duration.ofSeconds(5));
        Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString("www.example.test."), Type.A, DClass.IN)));
        return m.getSection(Section.ANSWER).stream().map(Record::rdataToString).toList();
    }

    private Path config(LoopbackPort a, LoopbackPort b) throws Exception {
        Files.writeString(dir.resolve("example.test.zone"), """
                $ORIGIN example.test.
                $TTL 300
                @    IN SOA ns1 hostmaster 1 3600 600 86400 60
                @    IN NS  ns1
                ns1  IN A   127.0.0.1
                """);
        return Files.writeString(dir.resolve("portico.yaml"), """
                workers: 1
                admin:
                  listen: 127.0.0.1:0
                  tokens:
                    - {token: writer-token, role: write}
                services:
                  names:
                    type: dns
                    listen: [127.0.0.1:0]
                    zones: {example.test: example.test.zone}
                    dynamic:
                      www.example.test:
                        ttl: 300/5
                        addresses: [%s, %s]
                        health: {type: tcp, interval: 200ms, timeout: 500ms, down_interval: 200ms, rise: 1, fall: 2}
                      _www.example.test:
                        ttl: 60
                        addresses: [127.0.0.21]
                        health: none
                """.formatted(a.address(), b.address()));
    }
}
