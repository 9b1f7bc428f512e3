package dev.portico.server.cmd;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portico.admin.AdminRole;
import dev.portico.lb.LbService;
import dev.portico.server.CliRun;
import dev.portico.server.Daemon;
import dev.portico.server.Main;
import dev.portico.server.control.AdminTokens;
import dev.portico.server.control.Api;
import dev.portico.server.control.NamedBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class LbCommandTest {

    @Test
    void balancesRealTrafficAndTheApiControlsIt() throws Exception {
        try (NamedBackend one = new NamedBackend("one"); NamedBackend two = new NamedBackend("two")) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CliRun r = CliRun.run(Main.builtinTypes(), (Daemon d) -> {
                try {
                    check(d, one, two);
                } catch (Throwable e) {
                    failure.set(e);
                } finally {
                    d.requestStop();
                }
            }, "lb", "--listen", "127.0.0.1:0", "--backend", one.address(), "--backend", two.address(),
                    "--scheduler", "roundrobin", "--health", "tcp", "--admin", "127.0.0.1:0", "--workers", "1");
            assertThat(failure.get()).as(r.toString()).isNull();
            assertThat(r.status).as(r.toString()).isZero();
            assertThat(r.out).contains("service lb: tcp://127.0.0.1:", "api: http://127.0.0.1:",
                    "/api/v1/services (token in ");
        }
    }

    private static void check(Daemon d, NamedBackend one, NamedBackend two) throws Exception {
        LbService lb = (LbService) d.supervisor().running().getFirst().service();
        String url = "http://127.0.0.1:" + lb.port() + "/";
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            seen.add(Api.fetch(url));
        }
        assertThat(seen).containsExactlyInAnyOrder("one", "two");

        AdminTokens.Resolved token = d.adminTokens().getFirst();
        assertThat(token.role()).isEqualTo(AdminRole.WRITE);
        assertThat(Files.getPosixFilePermissions(token.file())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        Api api = new Api(d.admin().baseUrl(), Files.readString(token.file()).strip());

        JsonNode service = api.get("/api/v1/services/lb").json();
        assertThat(service.get("type").asText()).isEqualTo("lb");
        assertThat(service.get("scheduler").asText()).isEqualTo("roundrobin");
        assertThat(service.get("listeners").get(0).asText()).isEqualTo("127.0.0.1:" + lb.port());
        JsonNode hosts = service.get("groups").get(0).get("hosts");
        assertThat(hosts).hasSize(2);
        assertThat(hosts.get(0).get("total").asLong() + hosts.get(1).get("total").asLong()).isEqualTo(4);

        String hostPath = "/api/v1/services/lb/groups/main/hosts/" + one.address();
        assertThat(api.post(hostPath + "/disable", null).json().get("admin").asText()).isEqualTo("disabled");
        for (int i = 0; i < 4; i++) {
            assertThat(Api.fetch(url)).isEqualTo("two");
        }
        api.post(hostPath + "/enable", null);
        assertThat(api.post(hostPath + "/weight", "{\"weight\":5}").json().get("weight").asInt()).isEqualTo(5);
        assertThat(api.post("/api/v1/services/lb/scheduler", "{\"scheduler\":\"leastconns\"}").json()
                .get("scheduler").asText()).isEqualTo("leastconns");
        assertThat(api.call("DELETE", hostPath, null).status()).isEqualTo(200);
        Api.Answer last = api.call("DELETE", "/api/v1/services/lb/groups/main/hosts/" + two.address(), null);
        assertThat(last.status()).isEqualTo(409);
        assertThat(last.json().get("error").asText()).contains("last host of the active group");
        assertThat(api.post("/api/v1/services/lb/groups/main/hosts", "{\"address\":\"" + one.address() + "\"}")
                .status()).isEqualTo(201);
        assertThat(api.post("/api/v1/services/lb/groups/main/hosts", "{\"address\":\"" + one.address() + "\"}")
                .status()).isEqualTo(409);
        assertThat(api.post("/api/v1/services/lb/groups/main/hosts", "{\"address\":\"nowhere\"}").status())
                .isEqualTo(400);

        int free;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            free = probe.getLocalPort();
        }
        Api.Answer opened = api.post("/api/v1/services/lb/listeners", "{\"address\":\"127.0.0.1:" + free + "\"}");
        assertThat(opened.status()).isEqualTo(201);
        String second = opened.json().get("listening").asText();
        assertThat(second).isEqualTo("127.0.0.1:" + free);
        assertThat(Api.fetch("http://" + second + "/")).isIn("one", "two");
        assertThat(api.call("DELETE", "/api/v1/services/lb/listeners/" + second, null).status()).isEqualTo(200);

        Api.Answer save = api.post("/api/v1/save", null);
        assertThat(save.status()).isEqualTo(409);
        assertThat(save.json().get("error").asText()).contains("runs without a config file");
        assertThat(api.get("/api/v1/services/nope").status()).isEqualTo(404);
    }
}
