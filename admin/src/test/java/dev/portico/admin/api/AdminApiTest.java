package dev.portico.admin.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.admin.AdminRole;
import dev.portico.admin.AdminServer;
import dev.portico.core.net.HostPort;
import dev.portico.testing.PorticoExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class AdminApiTest {

    private static final String WRITE = "w-token";
    private static final String READ = "r-token";

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final FakeControlPlane plane = new FakeControlPlane();
    private AdminServer admin;

    @BeforeEach
    void start() throws Exception {
        admin = AdminServer.builder(portico.metrics())
                .listen(new HostPort("127.0.0.1", 0))
                .token(WRITE, AdminRole.WRITE)
                .token(READ, AdminRole.READ)
                .prefix(AdminApi.PREFIX, new AdminApi(plane))
                .build()
                .start(portico.context().transport(), portico.context().workers());
    }

    @AfterEach
    void stop() {
        admin.close();
        http.close();
    }

    private HttpResponse<String> call(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(admin.baseUrl() + path))
                .timeout(Duration.ofSeconds(5))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode ok(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        return json.readTree(r.body());
    }

    @Test
    void dynamicRecordCallsAnswer400ForServicesWithoutRecordsAnd403ForReaders() throws Exception {
        assertThat(ok(call("GET", "/api/v1/services/front/records", null, READ), 400).get("error").asText())
                .contains("has no dynamic DNS records");
        ok(call("GET", "/api/v1/services/nope/records", null, READ), 404);
        String force = "/api/v1/services/front/records/www.example.test/addresses/127.0.0.11/force-down";
        ok(call("POST", force, null, READ), 403);
        ok(call("POST", force, null, WRITE), 400);
        ok(call("GET", force, null, WRITE), 405);
    }

    @Test
    void managedCertificatesAreListedForReadersAndRenewedWithAWriteToken() throws Exception {
        assertThat(call("GET", "/api/v1/tls", null, null).statusCode()).isEqualTo(401);
        JsonNode list = ok(call("GET", "/api/v1/tls", null, READ), 200).get("certificates");
        assertThat(list).hasSize(1);
        JsonNode one = list.get(0);
        assertThat(one.get("service").asText()).isEqualTo("site");
        assertThat(one.get("name").asText()).isEqualTo(FakeControlPlane.MANAGED);
        assertThat(one.get("not_after").asText()).isEqualTo("2027-03-01T00:00:00Z");
        assertThat(one.get("serial").asText()).isEqualTo("1f");
        assertThat(one.get("last_renewal").asText()).isEqualTo("2026-12-01T00:00:00Z");
        assertThat(one.get("last_error").asText()).contains("refused");
        assertThat(one.get("next_attempt").asText()).isEqualTo("2027-01-30T00:00:00Z");

        String renew = "/api/v1/tls/" + FakeControlPlane.MANAGED + "/renew";
        assertThat(call("POST", renew, null, null).statusCode()).isEqualTo(401);
        ok(call("POST", renew, null, READ), 403);
        assertThat(plane.renewals).isZero();
        JsonNode renewing = ok(call("POST", renew, null, WRITE), 202).get("renewing");
        assertThat(renewing.get(0).get("renewing").asBoolean()).isTrue();
        assertThat(plane.renewals).isEqualTo(1);
        assertThat(ok(call("POST", "/api/v1/tls/other.portico.test/renew", null, WRITE), 404).get("error").asText())
                .isEqualTo("no service manages a certificate for other.portico.test");
        ok(call("GET", renew, null, WRITE), 405);
    }

    @Test
    void aTunnelShowsItsSessionsAndAWriteKeyReconnectsOne() throws Exception {
        assertThat(call("GET", "/api/v1/services/warp/tunnel", null, null).statusCode()).isEqualTo(401);
        JsonNode t = ok(call("GET", "/api/v1/services/warp/tunnel", null, READ), 200);
        assertThat(t.get("service").asText()).isEqualTo("warp");
        JsonNode hub = t.get("sessions").get(0);
        assertThat(hub.get("name").asText()).isEqualTo("hub");
        assertThat(hub.get("state").asText()).isEqualTo("up");
        assertThat(hub.get("peer").asText()).isEqualTo("10.0.0.1:9000");
        assertThat(hub.get("device").asText()).isEqualTo("hub");
        assertThat(hub.get("rtt_ms").asDouble()).isEqualTo(51.5);
        assertThat(hub.get("cwnd_bytes").asDouble()).isEqualTo(120000.0);
        assertThat(hub.get("lost_packets").asDouble()).isEqualTo(3.0);
        assertThat(hub.get("in_rate").asDouble()).isEqualTo(100.0);
        assertThat(hub.get("out_rate").asDouble()).isEqualTo(200.0);
        assertThat(hub.get("route_metrics").get("10.77.0.0/16").asInt()).isEqualTo(515);
        assertThat(hub.get("best_routes").get(0).asText()).isEqualTo("10.77.0.0/16");
        assertThat(t.get("sessions").get(1).get("rtt_ms").isNull()).isTrue();

        String reconnect = "/api/v1/services/warp/tunnel/hub/reconnect";
        assertThat(call("POST", reconnect, null, READ).statusCode()).isEqualTo(403);
        assertThat(plane.reconnected).isEmpty();
        JsonNode r = ok(call("POST", reconnect, null, WRITE), 200);
        assertThat(r.get("session").asText()).isEqualTo("hub");
        assertThat(plane.reconnected).containsExactly("hub");
        assertThat(ok(call("POST", "/api/v1/services/warp/tunnel/spare/reconnect", null, WRITE), 409).get("error")
                .asText()).isEqualTo("session 'spare' of tunnel 'warp' is not up");
        ok(call("POST", "/api/v1/services/warp/tunnel/ghost/reconnect", null, WRITE), 404);
        assertThat(ok(call("GET", "/api/v1/services/front/tunnel", null, READ), 400).get("error").asText())
                .isEqualTo("service 'front' is a lb service, not a tunnel");
        ok(call("GET", reconnect, null, WRITE), 405);
    }

    @Test
    void aFileStoreShowsItsNodesAndCounters() throws Exception {
        assertThat(call("GET", "/api/v1/services/files/fs", null, null).statusCode()).isEqualTo(401);
        JsonNode fs = ok(call("GET", "/api/v1/services/files/fs", null, READ), 200);
        assertThat(fs.get("service").asText()).isEqualTo("files");
        assertThat(fs.get("reads").asLong()).isEqualTo(10);
        assertThat(fs.get("writes").asLong()).isEqualTo(4);
        assertThat(fs.get("read_rate").asDouble()).isEqualTo(2.5);
        assertThat(fs.get("write_rate").asDouble()).isEqualTo(1.0);
        assertThat(fs.get("writes_degraded").asLong()).isEqualTo(1);
        assertThat(fs.get("writes_failed").asLong()).isZero();
        assertThat(fs.get("missing_copies").asLong()).isEqualTo(2);
        JsonNode node = fs.get("nodes").get(0);
        assertThat(node.get("name").asText()).isEqualTo("127.0.0.1:9001");
        assertThat(node.get("health").asText()).isEqualTo("up");
        assertThat(node.get("latency_ms").asDouble()).isEqualTo(0.75);
        assertThat(node.get("bytes_in").asLong()).isEqualTo(4096);
        assertThat(node.get("bytes_out").asLong()).isEqualTo(8192);
        assertThat(ok(call("GET", "/api/v1/services/front/fs", null, READ), 400).get("error").asText())
                .isEqualTo("service 'front' is a lb service, not a file store");
        ok(call("GET", "/api/v1/services/nosuch/fs", null, READ), 404);
        ok(call("POST", "/api/v1/services/files/fs", null, WRITE), 405);
    }

    @Test
    void aFileStoreShowsItsHandoffItsLastCheckAndARepairStartedThroughTheApi() throws Exception {
        JsonNode fs = ok(call("GET", "/api/v1/services/files/fs", null, READ), 200);
        assertThat(fs.get("handoff").get("journal").asLong()).isEqualTo(3);
        assertThat(fs.get("handoff").get("pending").asLong()).isEqualTo(1);
        assertThat(fs.get("handoff").get("problem").isNull()).isTrue();
        JsonNode check = fs.get("last_check");
        assertThat(check.get("finished").asText()).isEqualTo("2025-01-02T03:04:05Z");
        assertThat(check.get("files").asLong()).isEqualTo(7);
        assertThat(check.get("copies").asLong()).isEqualTo(12);
        assertThat(check.get("counts").get("missing").asInt()).isEqualTo(2);
        assertThat(check.get("clean").asBoolean()).isFalse();
        assertThat(fs.get("repair").isNull()).isTrue();

        String repair = "/api/v1/services/files/fs/repair";
        assertThat(call("POST", repair, null, READ).statusCode()).isEqualTo(403);
        assertThat(plane.repairing).isFalse();
        JsonNode started = ok(call("POST", repair, null, WRITE), 202);
        assertThat(started.get("running").asBoolean()).isTrue();
        assertThat(started.get("total").asLong()).isEqualTo(2);
        assertThat(ok(call("GET", "/api/v1/services/files/fs", null, READ), 200).get("repair").get("running")
                .asBoolean()).isTrue();
        assertThat(ok(call("POST", repair, null, WRITE), 409).get("error").asText())
                .isEqualTo("a repair of 'files' is running already");
        assertThat(ok(call("POST", "/api/v1/services/front/fs/repair", null, WRITE), 400).get("error").asText())
                .isEqualTo("service 'front' is a lb service, not a file store");
    }

    @Test
    void historyIsReadWithAReadTokenAnd404WhenNoneIsKept() throws Exception {
        assertThat(ok(call("GET", "/api/v1/services/front/history", null, READ), 404).get("error").asText())
                .isEqualTo("no history is kept for service front");
        assertThat(call("GET", "/api/v1/services/nosuch/history", null, READ).body()).contains("no service nosuch");
        HttpResponse<String> post = call("POST", "/api/v1/services/front/history", null, WRITE);
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
    }

    @Test
    void cacheCallsNeedACacheExactlyOneTargetAndAWriteToken() throws Exception {
        assertThat(call("GET", "/api/v1/services/front/cache", null, READ).statusCode()).isEqualTo(404);
        assertThat(call("GET", "/api/v1/services/nosuch/cache", null, READ).body()).contains("no service nosuch");
        assertThat(call("POST", "/api/v1/services/front/cache/purge", "{\"key\":\"http://x/\"}", READ).statusCode())
                .isEqualTo(403);
        HttpResponse<String> both = call("POST", "/api/v1/services/front/cache/purge",
                "{\"key\":\"http://x/\",\"prefix\":\"http://x/\"}", WRITE);
        assertThat(both.statusCode()).isEqualTo(400);
        assertThat(both.body()).contains("exactly one of 'key' and 'prefix'");
        assertThat(call("POST", "/api/v1/services/front/cache/ban", "{}", WRITE).statusCode()).isEqualTo(400);
        assertThat(call("POST", "/api/v1/services/front/cache/ban", "{\"regex\":\"/a\"}", WRITE).statusCode())
                .isEqualTo(404);
    }

    @Test
    void listsServicesWithGroupsAndHostsInSnakeCase() throws Exception {
        JsonNode body = ok(call("GET", "/api/v1/services", null, READ), 200);
        JsonNode front = body.get("services").get(0);
        assertThat(front.get("name").asText()).isEqualTo("front");
        assertThat(front.get("type").asText()).isEqualTo("lb");
        assertThat(front.get("active_group").asText()).isEqualTo("main");
        assertThat(front.get("listeners").get(0).asText()).isEqualTo("127.0.0.1:8000");
        JsonNode host = front.get("groups").get(0).get("hosts").get(0);
        assertThat(host.get("address").asText()).isEqualTo("127.0.0.1:9001");
        assertThat(host.has("bytes_in")).isTrue();
        assertThat(host.has("last_failure")).isTrue();
        assertThat(body.get("services").get(1).get("type").asText()).isEqualTo("web");

        assertThat(ok(call("GET", "/api/v1/services/front", null, READ), 200).get("scheduler").asText())
                .isEqualTo("roundrobin");
        assertThat(ok(call("GET", "/api/v1/services/front/groups/main/hosts/127.0.0.1:9001", null, READ), 200)
                .get("weight").asInt()).isEqualTo(1);
    }

    @Test
    void changesHostsWeightsSchedulerGroupAndListeners() throws Exception {
        JsonNode added = ok(call("POST", "/api/v1/services/front/groups/main/hosts",
                "{\"address\":\"127.0.0.1:9002\",\"weight\":3}", WRITE), 201);
        assertThat(added.get("weight").asInt()).isEqualTo(3);
        assertThat(ok(call("POST", "/api/v1/services/front/groups/main/hosts/127.0.0.1:9002/drain", null, WRITE), 200)
                .get("admin").asText()).isEqualTo("draining");
        assertThat(ok(call("POST", "/api/v1/services/front/groups/main/hosts/127.0.0.1:9002/disable", null, WRITE), 200)
                .get("admin").asText()).isEqualTo("disabled");
        assertThat(ok(call("POST", "/api/v1/services/front/groups/main/hosts/127.0.0.1:9002/enable", null, WRITE), 200)
                .get("admin").asText()).isEqualTo("enabled");
        assertThat(ok(call("POST", "/api/v1/services/front/groups/main/hosts/127.0.0.1:9002/weight?weight=7", null,
                WRITE), 200).get("weight").asInt()).isEqualTo(7);
        assertThat(ok(call("DELETE", "/api/v1/services/front/groups/main/hosts/127.0.0.1:9002", null, WRITE), 200)
                .get("removed").asText()).isEqualTo("127.0.0.1:9002");
        assertThat(ok(call("POST", "/api/v1/services/front/scheduler", "{\"scheduler\":\"leastconns\"}", WRITE), 200)
                .get("scheduler").asText()).isEqualTo("leastconns");
        assertThat(ok(call("POST", "/api/v1/services/front/active-group", "{\"group\":\"standby\"}", WRITE), 200)
                .get("active_group").asText()).isEqualTo("standby");
        assertThat(ok(call("POST", "/api/v1/services/front/listeners", "{\"address\":\"127.0.0.1:8001\"}", WRITE), 201)
                .get("listening").asText()).isEqualTo("127.0.0.1:8001");
        assertThat(ok(call("DELETE", "/api/v1/services/front/listeners/127.0.0.1:8001", null, WRITE), 200)
                .get("closed").asText()).isEqualTo("127.0.0.1:8001");
        JsonNode saved = ok(call("POST", "/api/v1/save", null, WRITE), 200);
        assertThat(saved.get("written").asBoolean()).isTrue();
        assertThat(plane.saves).isEqualTo(1);
    }

    @Test
    void errorsAreJsonWithTheRightStatus() throws Exception {
        JsonNode last = ok(call("DELETE", "/api/v1/services/front/groups/main/hosts/127.0.0.1:9001", null, WRITE), 409);
        assertThat(last.get("error").asText()).contains("last host of the active group");
        assertThat(last.get("status").asInt()).isEqualTo(409);
        assertThat(ok(call("GET", "/api/v1/services/nope", null, READ), 404).get("error").asText())
                .isEqualTo("no service nope");
        ok(call("POST", "/api/v1/services/front/groups/main/hosts/10.9.9.9:1/drain", null, WRITE), 404);
        ok(call("POST", "/api/v1/services/front/groups/nope/hosts", "{\"address\":\"127.0.0.1:1\"}", WRITE), 404);
        assertThat(ok(call("POST", "/api/v1/services/front/groups/main/hosts", "{\"weight\":2}", WRITE), 400)
                .get("error").asText()).contains("missing 'address'");
        assertThat(ok(call("POST", "/api/v1/services/front/groups/main/hosts", "{not json", WRITE), 400)
                .get("error").asText()).contains("not JSON");
        assertThat(ok(call("POST", "/api/v1/services/front/groups/main/hosts/127.0.0.1:9001/weight",
                "{\"weight\":\"heavy\"}", WRITE), 400).get("error").asText()).contains("whole number");
        ok(call("POST", "/api/v1/services/front/groups/main/hosts/127.0.0.1:9001/weight", "{\"weight\":0}", WRITE), 400);
        ok(call("DELETE", "/api/v1/services/front/listeners/127.0.0.1:8000", null, WRITE), 409);
        ok(call("GET", "/api/v1/nothing/here", null, READ), 404);
        HttpResponse<String> wrongMethod = call("DELETE", "/api/v1/services", null, WRITE);
        assertThat(ok(wrongMethod, 405).get("error").asText()).contains("DELETE is not allowed");
        assertThat(wrongMethod.headers().firstValue("allow")).hasValue("GET, HEAD");
    }

    @Test
    void tokensAndRoles() throws Exception {
        assertThat(call("GET", "/api/v1/services", null, null).statusCode()).isEqualTo(401);
        assertThat(call("GET", "/api/v1/services", null, "wrong").statusCode()).isEqualTo(401);
        JsonNode forbidden = ok(call("POST", "/api/v1/services/front/active-group", "{\"group\":\"standby\"}", READ), 403);
        assertThat(forbidden.get("error").asText()).contains("read-only");
        assertThat(plane.service("front").activeGroup()).isEqualTo("main");
        ok(call("POST", "/api/v1/save", null, READ), 403);
        assertThat(plane.saves).isZero();
        assertThat(call("GET", "/metrics", null, READ).statusCode()).isEqualTo(200);
        assertThat(call("HEAD", "/api/v1/services", null, READ).statusCode()).isEqualTo(200);
    }
}
