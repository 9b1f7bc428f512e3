package dev.portico.testing.netem;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LinkSpecTest {

    @Test
    void readsEveryItem() {
        LinkSpec s = LinkSpec.parse("delay=50ms, loss=1%, rate=50mbit, queue=100ms, reorder=2%:5ms, seed=9");
        assertThat(s.delayNanos()).isEqualTo(50_000_000L);
        assertThat(s.loss()).isEqualTo(0.01);
        assertThat(s.rateBitsPerSecond()).isEqualTo(50_000_000L);
        assertThat(s.effectiveQueueBytes()).isEqualTo(625_000L);
        assertThat(s.reorder()).isEqualTo(0.02);
        assertThat(s.reorderNanos()).isEqualTo(5_000_000L);
        assertThat(s.seed()).isEqualTo(9);
        assertThat(LinkSpec.parse("rate=1.5gbit,queue=30000").effectiveQueueBytes()).isEqualTo(30_000);
        assertThat(LinkSpec.parse("delay=250us").delayNanos()).isEqualTo(250_000);
    }

    @Test
    void textFormReadsBackEqual() {
        LinkSpec s = LinkSpec.CLEAN.withDelay(Duration.ofMillis(100)).withLoss(0.01)
                .withBurstLoss(LinkSpec.GilbertElliott.ofMeanLoss(0.03, 4)).withRate(50_000_000)
                .withQueueBytes(200_000).withReorder(0.01, Duration.ofMillis(3)).withSeed(42);
        assertThat(LinkSpec.parse(s.toString())).isEqualTo(s);
        assertThat(LinkSpec.parse(LinkSpec.CLEAN.toString())).isEqualTo(LinkSpec.CLEAN);
        LinkSpec timed = LinkSpec.parse("rate=10mbit,queue=50ms");
        assertThat(LinkSpec.parse(timed.toString())).isEqualTo(timed);
    }

    @Test
    void burstLossHasTheAskedMeanLossAndBurstLength() {
        LinkSpec.GilbertElliott ge = LinkSpec.parse("burst=3%:4").burst();
        assertThat(ge.meanLoss()).isCloseTo(0.03, within(1e-12));
        assertThat(1 / ge.r()).isCloseTo(4.0, within(1e-12));
        assertThat(new LinkSpec.GilbertElliott(0.01, 0.1, 0.5, 0.0).meanLoss()).isCloseTo(0.5 / 11, within(1e-12));
    }

    @Test
    void aSlowRateStillQueuesAFewFrames() {
        assertThat(LinkSpec.parse("rate=100kbit").effectiveQueueBytes()).isEqualTo(LinkSpec.MIN_QUEUE_BYTES);
        assertThat(LinkSpec.parse("queue=1000").effectiveQueueBytes()).isZero();
    }

    @Test
    void badSettingsAreNamed() {
        assertThatThrownBy(() -> LinkSpec.parse("delay=50")).hasMessage("link setting 'delay=50': needs a unit: ns, us, ms or s");
        assertThatThrownBy(() -> LinkSpec.parse("loss=150%")).hasMessageContaining("loss must be between 0 and 1");
        assertThatThrownBy(() -> LinkSpec.parse("rate=5mbps")).hasMessageContaining("needs a unit: bit, kbit, mbit or gbit");
        assertThatThrownBy(() -> LinkSpec.parse("jitter=5ms")).hasMessageContaining("'jitter=5ms': is unknown");
        assertThatThrownBy(() -> LinkSpec.parse("burst=3%")).hasMessageContaining("is not LOSS:MEAN_BURST");
        assertThatThrownBy(() -> LinkSpec.parse("ge=0.1:0")).hasMessageContaining("ge r must be above 0");
        assertThatThrownBy(() -> LinkSpec.parse("delay")).hasMessage("link setting 'delay' is not key=value");
    }
}
