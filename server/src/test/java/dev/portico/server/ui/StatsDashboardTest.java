package dev.portico.server.ui;

import dev.portico.dns.DnsService;
import dev.portico.server.Supervisor;
import dev.portico.server.ui.DashboardBrowserTest.Browser;
import dev.portico.server.ui.DashboardBrowserTest.Portico;
import dev.portico.web.WebServer;
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
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The live numbers and the chart of the last minutes on the web and dns cards of the dashboard,
 * in Debian's headless Chromium against {@code portico serve}, with real HTTP requests and dnsjava
 * queries as the traffic.
 */
class StatsDashboardTest {

    /** An SVG path of at least one point: "M x y", then "L x y" per further point. */
    private static final Pattern PATH = Pattern.compile("M[\\d.]+ [\\d.]+( L[\\d.]+ [\\d.]+)*");

    @TempDir
    Path dir;

    @BeforeAll
    static void needsChromium() {
        DashboardBrowserTest.assumeChromium();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void webAndDnsCardsShowTheirNumbersAndAChartOfTheirLastMinutes() throws Exception {
        try (Portico p = new Portico("serve", "-c", config().toString()); Browser br = new Browser(dir.resolve("profile"))) {
            DnsService dns = service(p.daemon.supervisor(), DnsService.class);
            WebServer web = service(p.daemon.supervisor(), WebServer.class);
            InetSocketAddress site = web.listenAddresses().values().iterator().next();
            traffic(site, dns);

            br.driver.get(p.adminUrl() + "/#token=reader-token");
            WebElement webStats = br.waitFor(By.cssSelector("section[data-service='site'] .svc-stats"));
            WebElement dnsStats = br.waitFor(By.cssSelector("section[data-service='names'] .svc-stats"));
            br.until(d -> stat(webStats, "count-2xx").equals("10") && stat(dnsStats, "count-NOERROR").equals("5"));
            assertThat(stat(webStats, "count-4xx")).isEqualTo("3");
            assertThat(stat(webStats, "count-5xx")).isEqualTo("0");
            assertThat(stat(webStats, "total")).isEqualTo("13");
            assertThat(stat(webStats, "bytes")).matches("[\\d.]+ (B|KiB)");
            assertThat(stat(webStats, "cache")).endsWith("%");
            assertThat(stat(dnsStats, "count-NXDOMAIN")).isEqualTo("2");
            assertThat(stat(dnsStats, "count-REFUSED")).isEqualTo("1");
            assertThat(webStats.getText()).contains("requests", "2xx", "4xx", "p99", "memory cache hits");
            assertThat(dnsStats.getText()).contains("queries", "NOERROR", "NXDOMAIN", "SERVFAIL", "answer cache hits");

            // The first sample after the traffic gives each card a point above zero, drawn as a path.
            for (WebElement card : new WebElement[] {webStats, dnsStats}) {
                WebElement chart = card.findElement(By.cssSelector("svg.spark"));
                br.until(d -> Integer.parseInt(chart.getDomAttribute("data-points")) > 0
                        && PATH.matcher(card.findElement(By.cssSelector("svg.spark path.rate")).getDomAttribute("d"))
                        .matches());
                assertThat(card.findElement(By.cssSelector(".chart-caption")).getText()).matches("(?s)last \\d+ min.*peak .*");
            }
            // More traffic, and a second point.
            traffic(site, dns);
            br.until(d -> Integer.parseInt(webStats.findElement(By.cssSelector("svg.spark")).getDomAttribute("data-points")) > 1);
            br.screenshot("stats");
        }
    }

    private static String stat(WebElement card, String key) {
        return card.findElement(By.cssSelector("[data-stat='" + key + "'] b")).getText();
    }

    /** Ten 200s and three 404s from the web service; five NOERROR, two NXDOMAIN and one REFUSED from the dns service. */
    private static void traffic(InetSocketAddress site, DnsService dns) throws Exception {
        String base = "http://127.0.0.1:" + site.getPort();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            for (int i = 0; i < 13; i++) {
                String path = i < 10 ? "/index.html" : "/missing-" + i;
                http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.discarding());
            }
        }
        SimpleResolver r = new SimpleResolver(dns.localAddresses().getFirst());
        r.setTimeout(Duration.ofSeconds(5));
        String[] names = {"www", "www", "www", "www", "www", "nope", "nada"};
        for (String n : names) {
            r.send(Message.newQuery(Record.newRecord(Name.fromString(n + ".example.test."), Type.A, DClass.IN)));
        }
        r.send(Message.newQuery(Record.newRecord(Name.fromString("www.elsewhere.test."), Type.A, DClass.IN)));
    }

    private static <T> T service(Supervisor s, Class<T> type) {
        return s.running().stream().map(Supervisor.Running::service).filter(type::isInstance).map(type::cast)
                .findFirst().orElseThrow();
    }

    private Path config() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        Files.writeString(dir.resolve("www/index.html"), "<h1>hello</h1>\n".repeat(40));
        Files.writeString(dir.resolve("example.test.zone"), """
                $ORIGIN example.test.
                $TTL 300
                @    IN SOA ns1 hostmaster 1 3600 600 86400 60
                @    IN NS  ns1
                ns1  IN A   127.0.0.1
                www  IN A   192.0.2.7
                """);
        return Files.writeString(dir.resolve("portico.yaml"), """
                workers: 1
                admin:
                  listen: 127.0.0.1:0
                  tokens:
                    - {token: reader-token, role: read}
                services:
                  names:
                    type: dns
                    listen: [127.0.0.1:0]
                    zones: {example.test: example.test.zone}
                  site:
                    type: web
                    listen: 127.0.0.1:0
                    root: www
                """);
    }
}
