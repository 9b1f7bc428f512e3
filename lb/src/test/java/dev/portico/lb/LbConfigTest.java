package dev.portico.lb;

import dev.portico.core.net.HostPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class LbConfigTest {

    @Test
    void quickStartBuilderFillsTheMainGroup() {
        LbConfig c = LbConfig.builder().listen("127.0.0.1:8000").backend("127.0.0.1:9001")
                .backend("127.0.0.1:9002", 3).scheduler("weighted").health("http:/health").build();

        assertThat(c.activeGroup()).isEqualTo("main");
        assertThat(c.groups().get("main")).containsExactly(
                new LbConfig.BackendSpec(new HostPort("127.0.0.1", 9001), 1),
                new LbConfig.BackendSpec(new HostPort("127.0.0.1", 9002), 3));
        assertThat(c.health().path()).isEqualTo("/health");
        assertThat(c.toBuilder().build()).isEqualTo(c);
    }

    @Test
    void rejectsConfigsThatCannotWork() {
        assertThatThrownBy(() -> LbConfig.builder().backend("127.0.0.1:9001").build()).hasMessageContaining("listen");
        assertThatThrownBy(() -> LbConfig.builder().listen("8000").build()).hasMessageContaining("group");
        assertThatThrownBy(() -> LbConfig.builder().listen("8000").backend("127.0.0.1:9001").activeGroup("x").build())
                .hasMessageContaining("active group 'x'");
        assertThatThrownBy(() -> LbConfig.builder().listen("8000").backend("127.0.0.1:9001").backend("127.0.0.1:9001")
                .build()).hasMessageContaining("twice");
        assertThatThrownBy(() -> LbConfig.builder().listen("8000").backend("127.0.0.1:9001").scheduler("nope").build())
                .hasMessageContaining("nope");
        assertThatThrownBy(() -> LbConfig.builder().listen("8000").backend("127.0.0.1:9001")
                .connectTimeout(Duration.ZERO).build()).hasMessageContaining("connect timeout");
        assertThatThrownBy(() -> LbConfig.builder().backend("127.0.0.1:0")).hasMessageContaining("needs a port");
    }

    @Test
    void sniRoutesNeedKnownGroupsValidNamesAndTcp() {
        LbConfig.Builder b = LbConfig.builder().listen("8000").group("a", "127.0.0.1:9001").group("b", "127.0.0.1:9002");
        LbConfig c = b.sniRoute("*.A.Test", "a").sniRoute("b.test", "b").sniFallback(SniFallback.CLOSE)
                .clientHelloTimeout(Duration.ofSeconds(1)).build();
        assertThat(c.sniRoutes()).containsOnlyKeys("*.a.test", "b.test");
        assertThat(c.sniDefaultGroup()).isEqualTo("a"); // the active group
        assertThat(c.toBuilder().build()).isEqualTo(c);

        assertThatThrownBy(() -> b.sniRoute("x.test", "zzz").build()).hasMessageContaining("group 'zzz'");
        assertThatThrownBy(() -> LbConfig.builder().listen("8000").backend("127.0.0.1:9001")
                .sniRoute("a.*.test", "main").build()).hasMessageContaining("not a server name");
        assertThatThrownBy(() -> LbConfig.builder().listen("8000").backend("127.0.0.1:9001")
                .sniRoute("X.test", "main").sniRoute("x.TEST", "main").build()).hasMessageContaining("twice");
        assertThatThrownBy(() -> LbConfig.builder().listen("8000").backend("127.0.0.1:9001")
                .sniRoute("x.test", "main").protocol(LbProtocol.UDP).build()).hasMessageContaining("TCP services only");
        assertThatThrownBy(() -> LbConfig.builder().listen("8000").backend("127.0.0.1:9001")
                .clientHelloTimeout(Duration.ZERO).build()).hasMessageContaining("client_hello timeout");
    }

    @Test
    void attemptsFollowRetries() {
        LbConfig every = LbConfig.builder().listen("8000").backend("127.0.0.1:9001").build();
        assertThat(every.attempts(4)).isEqualTo(4);
        assertThat(every.attempts(0)).isEqualTo(1);
        assertThat(every.toBuilder().retries(0).build().attempts(4)).isEqualTo(1);
        assertThat(every.toBuilder().retries(2).build().attempts(4)).isEqualTo(3);
    }
}
