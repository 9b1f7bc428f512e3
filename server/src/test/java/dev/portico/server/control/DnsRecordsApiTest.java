package dev.portico.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portico.admin.ssh.ConsoleCommands;
import dev.portico.dns.DnsService;
import dev.portico.server.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
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
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The dynamic-record calls of the admin API over real HTTP against {@code portico serve} with a dns
 * service, each change checked with dnsjava queries over UDP and TCP; and the same through the SSH
 * console's commands.
 */
@Timeout(90)
class DnsRecordsApiTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String RECORDS = "/api/v1/services/names/records";
    private static final String WWW = RECORDS + "/www.example.test";

    @TempDir
    Path dir;

    private Path config(LoopbackPort a, LoopbackPort b) throws Exception {
        Files.createDirectories(dir.resolve("www"));
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
                    - {token: writer, role: write}
                    - {token: reader, role: read}
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
                  site:
                    type: web
                    listen: 127.0.0.1:0
                    root: www
                """.formatted(a.address(), b.address()));
    }

    private static List<String> answers(DnsService dns, boolean tcp) throws Exception {
        SimpleResolver r = new SimpleResolver(dns.localAddresses().getFirst());
        r.setTCP(tcp);
        r.setTimeout(Duration.ofSeconds(5));
        Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString("www.example.test."), Type.A, DClass.IN)));
        return m.getSection(Section.ANSWER).stream().map(Record::rdataToString).toList();
    }

    private static JsonNode address(Api api, String ip) throws Exception {
        Api.Answer a = api.get(WWW + "/addresses/" + ip);
        assertThat(a.status()).as(a.json().toString()).isEqualTo(200);
        return a.json();
    }

    @Test
    void showsTheRecordsAndForcesAddressesUpAndDownThroughTheApiAndTheConsole() throws Exception {
        try (LoopbackPort a = new LoopbackPort("127.0.0.11"); LoopbackPort b = new LoopbackPort("127.0.0.12")) {
            Path file = config(a, b);
            CliRun.runChecked(d -> {
                DnsService dns = (DnsService) d.supervisor().running().getFirst().service();
                Api writer = new Api(d.admin().baseUrl(), "writer");
                Api reader = new Api(d.admin().baseUrl(), "reader");

                await().atMost(WAIT).untilAsserted(() -> {
                    JsonNode records = reader.get(RECORDS).json().get("records");
                    assertThat(records.get(0).get("addresses").findValuesAsText("health")).containsOnly("up");
                });
                JsonNode records = reader.get(RECORDS).json().get("records");
                assertThat(records.findValuesAsText("name")).containsExactly("www.example.test", "_www.example.test");
                JsonNode www = records.get(0);
                assertThat(www.get("level").asInt()).isZero();
                assertThat(www.get("fallback_of").isNull()).isTrue();
                assertThat(www.get("ttl_max").asLong()).isEqualTo(300);
                assertThat(www.get("ttl_min").asLong()).isEqualTo(5);
                assertThat(www.get("check").asText()).startsWith("tcp every 200ms");
                JsonNode first = www.get("addresses").get(0);
                assertThat(first.get("address").asText()).isEqualTo(a.ip());
                assertThat(first.get("checked").asText()).isEqualTo(a.address());
                assertThat(first.get("forced").isNull()).isTrue();
                assertThat(first.get("answered").asBoolean()).isTrue();
                assertThat(first.get("health_reason").asText()).startsWith("first check passed");
                assertThat(first.get("health_since").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
                JsonNode backup = records.get(1);
                assertThat(backup.get("level").asInt()).isOne();
                assertThat(backup.get("fallback_of").asText()).isEqualTo("www.example.test");
                assertThat(reader.get(RECORDS + "/WWW.Example.Test.").json().get("name").asText())
                        .isEqualTo("www.example.test");
                assertThat(answers(dns, false)).containsExactlyInAnyOrder(a.ip(), b.ip());

                // Reading is for everyone; changing needs the write token.
                Api.Answer refused = reader.post(WWW + "/addresses/" + a.ip() + "/force-down", null);
                assertThat(refused.status()).isEqualTo(403);
                assertThat(address(reader, a.ip()).get("forced").isNull()).isTrue();
                assertThat(answers(dns, false)).containsExactlyInAnyOrder(a.ip(), b.ip());

                // Unknown names are 404, other service types 400, wrong methods 405.
                assertThat(writer.post(RECORDS + "/nope.example.test/addresses/" + a.ip() + "/force-down", null)
                        .status()).isEqualTo(404);
                Api.Answer noAddress = writer.post(WWW + "/addresses/127.0.0.99/force-down", null);
                assertThat(noAddress.status()).isEqualTo(404);
                assertThat(noAddress.json().get("error").asText()).contains("has no address '127.0.0.99'");
                assertThat(writer.get("/api/v1/services/nope/records").status()).isEqualTo(404);
                assertThat(writer.get("/api/v1/services/site/records").status()).isEqualTo(400);
                assertThat(writer.get(WWW + "/addresses/127.0.0.99").status()).isEqualTo(404);
                assertThat(writer.call("DELETE", WWW + "/addresses/" + a.ip() + "/release", null).status())
                        .isEqualTo(405);

                // Forced down: gone from the very next answer, over UDP and TCP.
                Api.Answer down = writer.post(WWW + "/addresses/" + a.ip() + "/force-down", null);
                assertThat(down.status()).as(down.json().toString()).isEqualTo(200);
                assertThat(down.json().get("forced").asText()).isEqualTo("down");
                assertThat(down.json().get("answered").asBoolean()).isFalse();
                assertThat(down.json().get("health").asText()).isEqualTo("up");
                assertThat(answers(dns, false)).containsExactly(b.ip());
                assertThat(answers(dns, true)).containsExactly(b.ip());

                // Its backend gone too, b falls after its checks: the chain's next level answers.
                b.close();
                await().atMost(WAIT).until(() -> answers(dns, false).equals(List.of("127.0.0.21")));
                assertThat(address(reader, b.ip()).get("health").asText()).isEqualTo("down");
                assertThat(address(reader, b.ip()).get("health_reason").asText()).startsWith("check failed");

                // Forced up: answered although its checks fail.
                JsonNode up = writer.post(WWW + "/addresses/" + b.ip() + "/force-up", null).json();
                assertThat(up.get("forced").asText()).isEqualTo("up");
                assertThat(up.get("health").asText()).isEqualTo("down");
                assertThat(up.get("answered").asBoolean()).isTrue();
                assertThat(answers(dns, false)).containsExactly(b.ip());
                assertThat(answers(dns, true)).containsExactly(b.ip());

                // Released: the checks decide again.
                assertThat(writer.post(WWW + "/addresses/" + b.ip() + "/release", null).json().get("forced")
                        .isNull()).isTrue();
                writer.post(WWW + "/addresses/" + a.ip() + "/release", null);
                assertThat(answers(dns, false)).containsExactly(a.ip());

                // The console, over the same control plane.
                ConsoleCommands console = new ConsoleCommands(new DaemonControlPlane(d::supervisor, d::save));
                String shown = console.run("show records names").output();
                assertThat(shown).contains("www.example.test  ttl 300/5", "_www.example.test  ttl 60/60",
                        "fallback level 1 of www.example.test", a.ip(), b.ip());
                assertThat(console.run("force-down names www.example.test " + a.ip()).output())
                        .isEqualTo("names www.example.test " + a.ip() + ": forced down, health up, not answered\n");
                assertThat(answers(dns, false)).containsExactly("127.0.0.21");
                assertThat(console.run("release names www.example.test " + a.ip()).output()).contains("checks decide");
                assertThat(answers(dns, false)).containsExactly(a.ip());
                assertThat(console.run("force-up names nope.example.test " + a.ip()).output())
                        .startsWith("error: service 'names' has no dynamic record");
                assertThat(console.run("force-up names").output()).startsWith("usage: force-up SERVICE RECORD ADDRESS");
                List<String> completions = new ArrayList<>(console.complete("force-up names www"));
                assertThat(completions).containsExactly("www.example.test");
                assertThat(console.complete("release names www.example.test 127.0.0.1")).contains(a.ip(), b.ip());
            }, "serve", "-c", file.toString());
        }
    }
}
