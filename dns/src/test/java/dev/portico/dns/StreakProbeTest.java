package dev.portico.dns;

import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.Pool;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;
import dev.portico.upstream.health.ProbeResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class StreakProbeTest {

    private final Pool pool = Pool.create("web.example.test");
    private final Backend backend = Backend.of("192.0.2.1:80");
    private final HealthCheckConfig health = HealthCheckConfig.builder(HealthCheckType.HTTP)
            .timeout(Duration.ofMillis(50)).build();

    StreakProbeTest() {
        pool.add(backend);
        backend.markHealth(HealthState.UP, "test");
    }

    @Test
    void aProbeThatNeverFinishesFailsAtTheDeadlineWithWordsNotAnExceptionName() {
        StreakProbe probe = new StreakProbe(b -> new CompletableFuture<>(), health, pool);
        ProbeResult r = probe.check(backend).orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(r).isEqualTo(ProbeResult.failed("check timed out after 50ms waiting for the probe"));
        assertThat(probe.nearChange(backend)).as("an up backend whose last check failed").isTrue();
    }

    @Test
    void aProbesOwnResultIsPassedOnAndCounted() {
        ProbeResult own = ProbeResult.failed("http 192.0.2.1:80/: timed out after 50ms waiting for the response head");
        StreakProbe probe = new StreakProbe(b -> CompletableFuture.completedFuture(own), health, pool);
        assertThat(probe.check(backend).join()).isEqualTo(own);
        assertThat(probe.nearChange(backend)).isTrue();
        StreakProbe passing = new StreakProbe(b -> CompletableFuture.completedFuture(ProbeResult.passed("ok")), health,
                Pool.create("other"));
        assertThat(passing.check(backend).join().healthy()).isTrue();
        assertThat(passing.nearChange(backend)).isFalse();
    }
}
