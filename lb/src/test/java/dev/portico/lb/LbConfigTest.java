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
    void attemptsFollowRetries() {
        LbConfig every = LbConfig.builder().listen("8000").backend("127.0.0.1:9001").build();
        assertThat(every.attempts(4)).isEqualTo(4);
        assertThat(every.attempts(0)).isEqualTo(1);
        assertThat(every.toBuilder().retries(0).build().attempts(4)).isEqualTo(1);
        assertThat(every.toBuilder().retries(2).build().attempts(4)).isEqualTo(3);
    }
}
