package dev.portico.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portico.dns.DnsService;
import dev.portico.server.CliRun;
import dev.portico.server.Supervisor;
import dev.portico.web.WebServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The live numbers of web and dns services in {@code GET /api/v1/services}, and their sampled
 * history in {@code GET /api/v1/services/NAME/history}, over real HTTP against
 * {@code portico serve}, with real HTTP requests and dnsjava queries as the traffic.
 */
@Timeout(90)
class ServiceStatsApiTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private Path config() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        Files.writeString(dir.resolve("www/index.html"), "<h1>hello</h1>\n".repeat(50));
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
                    - {token: reader, role: read}
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

    @Test
    void webAndDnsServicesShowTheirCountsRatesAndHistory() throws Exception {
        Path file = config();
        CliRun.runChecked(d -> {
            Api api = new Api(d.admin().baseUrl(), "reader");
            DnsService dns = service(d.supervisor(), DnsService.class);
            WebServer web = service(d.supervisor(), WebServer.class);
            String site = "http://" + authority(web);

            JsonNode before = services(api);
            assertThat(before.get("site").get("stats").get("unit").asText()).isEqualTo("requests");
            assertThat(before.get("names").get("stats").get("unit").asText()).isEqualTo("queries");
            assertThat(before.get("names").get("stats").get("total").asLong()).isZero();

            try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
                for (int i = 0; i < 6; i++) {
                    assertThat(get(http, site + "/index.html")).isEqualTo(200);
                }
                for (int i = 0; i < 2; i++) {
                    assertThat(get(http, site + "/missing")).isEqualTo(404);
                }
            }
            for (int i = 0; i < 4; i++) {
                assertThat(query(dns, "www.example.test.")).isEqualTo(Rcode.NOERROR);
            }
            assertThat(query(dns, "nope.example.test.")).isEqualTo(Rcode.NXDOMAIN);
            assertThat(query(dns, "www.elsewhere.test.")).isEqualTo(Rcode.REFUSED);

            JsonNode web1 = services(api).get("site").get("stats");
            assertThat(web1.get("total").asLong()).isEqualTo(8);
            assertThat(web1.get("counts").get("2xx").asLong()).isEqualTo(6);
            assertThat(web1.get("counts").get("4xx").asLong()).isEqualTo(2);
            assertThat(web1.get("counts").get("5xx").asLong()).isZero();
            assertThat(web1.get("errors").asLong()).isZero();
            assertThat(web1.get("bytes").asLong()).isGreaterThan(6L * 15 * 50);
            assertThat(web1.get("cache_hits").asLong()).isGreaterThanOrEqualTo(5);
            assertThat(web1.get("cache_ratio").asDouble()).isBetween(0.5, 1.0);

            JsonNode dns1 = services(api).get("names").get("stats");
            assertThat(dns1.get("total").asLong()).isEqualTo(6);
            assertThat(dns1.get("counts").get("NOERROR").asLong()).isEqualTo(4);
            assertThat(dns1.get("counts").get("NXDOMAIN").asLong()).isEqualTo(1);
            assertThat(dns1.get("counts").get("REFUSED").asLong()).isEqualTo(1);
            assertThat(dns1.get("errors").asLong()).isEqualTo(1);
            assertThat(dns1.get("cache_hits").asLong()).isGreaterThanOrEqualTo(3);

            // The daemon's sampler turns the traffic into a point of each history.
            await().atMost(WAIT).untilAsserted(() -> {
                JsonNode h = api.get("/api/v1/services/site/history").json();
                assertThat(h.get("interval").asLong()).isEqualTo(5);
                assertThat(h.get("window").asLong()).isEqualTo(600);
                assertThat(rates(h)).anySatisfy(r -> assertThat(r).isPositive());
            });
            JsonNode h = api.get("/api/v1/services/site/history").json();
            JsonNode busy = StreamSupport.stream(h.get("points").spliterator(), false)
                    .filter(p -> p.get("rate").asDouble() > 0).findFirst().orElseThrow();
            assertThat(busy.get("p99_ms").isNumber()).as(h.toString()).isTrue();
            assertThat(busy.get("p99_ms").asDouble()).isPositive();
            assertThat(Instant.parse(busy.get("time").asText())).isBefore(Instant.now().plusSeconds(1));
            await().atMost(WAIT).untilAsserted(() -> assertThat(rates(api.get("/api/v1/services/names/history").json()))
                    .anySatisfy(r -> assertThat(r).isPositive()));
            JsonNode stats = services(api).get("names").get("stats");
            assertThat(stats.get("sampled_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
            assertThat(stats.get("interval").asLong()).isEqualTo(5);

            Api.Answer unknown = api.get("/api/v1/services/nothing/history");
            assertThat(unknown.status()).isEqualTo(404);
            assertThat(unknown.json().get("error").asText()).contains("nothing");
        }, "serve", "-c", file.toString());
    }

    @Test
    void aHistoryKeepsItsLastPointsWithTheRatesBetweenSamples() throws Exception {
        Path file = config();
        CliRun.runChecked(d -> {
            DnsService dns = service(d.supervisor(), DnsService.class);
            MutableClock clock = new MutableClock();
            ServiceHistory history = new ServiceHistory(d::supervisor, new SimpleMeterRegistry(), clock, 3,
                    Duration.ofSeconds(5));
            history.sample();
            assertThat(history.history(dns).points()).isEmpty();
            List<Double> expected = new ArrayList<>();
            for (int round = 1; round <= 4; round++) {
                for (int i = 0; i < round * 5; i++) {
                    query(dns, "www.example.test.");
                }
                query(dns, "www.elsewhere.test.");
                clock.advance(Duration.ofSeconds(5));
                history.sample();
                expected.add((round * 5 + 1) / 5.0);
            }
            var points = history.history(dns).points();
            // Three points kept: the first round's is gone.
            assertThat(points).hasSize(3);
            assertThat(points.stream().map(p -> p.rate()).toList()).isEqualTo(expected.subList(1, 4));
            assertThat(points.stream().map(p -> p.errors()).toList()).containsOnly(0.2);
            assertThat(points.getLast().time()).isEqualTo(clock.instant().toString());
            assertThat(history.stats(dns).rate()).isEqualTo(expected.getLast());
            assertThat(history.stats(dns).errorRate()).isEqualTo(0.2);
        }, "serve", "-c", file.toString());
    }

    private static List<Double> rates(JsonNode history) {
        return StreamSupport.stream(history.get("points").spliterator(), false).map(p -> p.get("rate").asDouble())
                .toList();
    }

    private static Map<String, JsonNode> asMap(JsonNode services) {
        Map<String, JsonNode> out = new java.util.LinkedHashMap<>();
        services.forEach(s -> out.put(s.get("name").asText(), s));
        return out;
    }

    private static JsonNode services(Api api) throws Exception {
        Api.Answer a = api.get("/api/v1/services");
        assertThat(a.status()).isEqualTo(200);
        return new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(asMap(a.json().get("services")));
    }

    private static <T> T service(Supervisor s, Class<T> type) {
        return s.running().stream().map(Supervisor.Running::service).filter(type::isInstance).map(type::cast)
                .findFirst().orElseThrow();
    }

    private static String authority(WebServer web) {
        var a = web.listenAddresses().values().iterator().next();
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private static int get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static int query(DnsService dns, String name) throws Exception {
        SimpleResolver r = new SimpleResolver(dns.localAddresses().getFirst());
        r.setTimeout(Duration.ofSeconds(5));
        Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN)));
        return m.getRcode();
    }

    /** A clock that moves only when told. */
    private static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
