package dev.portico.server.cmd;

import dev.portico.proxy.ProxyService;
import dev.portico.server.CliRun;
import dev.portico.server.Daemon;
import dev.portico.server.Main;
import dev.portico.server.control.Api;
import dev.portico.server.control.NamedBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class ProxyCommandTest {

    @Test
    void proxiesRealHttpTrafficOverTheBackends() throws Exception {
        try (NamedBackend one = new NamedBackend("one"); NamedBackend two = new NamedBackend("two")) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CliRun r = CliRun.run(Main.builtinTypes(), (Daemon d) -> {
                try {
                    ProxyService proxy = (ProxyService) d.supervisor().running().getFirst().service();
                    String url = "http://127.0.0.1:" + proxy.port() + "/";
                    Set<String> seen = new HashSet<>();
                    for (int i = 0; i < 4; i++) {
                        seen.add(Api.fetch(url));
                    }
                    assertThat(seen).containsExactlyInAnyOrder("one", "two");
                } catch (Throwable e) {
                    failure.set(e);
                } finally {
                    d.requestStop();
                }
            }, "proxy", "--listen", "127.0.0.1:0", "--backend", one.address(), "--backend", two.address(),
                    "--admin", "off", "--workers", "1");
            assertThat(failure.get()).as(r.toString()).isNull();
            assertThat(r.status).as(r.toString()).isZero();
            assertThat(r.out).contains("service proxy (proxy): http://127.0.0.1:");
        }
    }
}
