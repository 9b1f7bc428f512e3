package dev.portico.testing.netem;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DirectionStatsTest {

    private static final String LINE = "a0-b0 in_frames=100 in_bytes=150000 out_frames=80 out_bytes=120000 loss_frames=15"
            + " loss_bytes=22500 loss_bursts=5 queue_frames=5 queue_bytes=7500 nobuf_frames=0 reordered=2 send_errors=0";

    @Test
    void readsTheEmulatorsLine() {
        DirectionStats d = DirectionStats.parse(LINE);
        assertThat(d.name()).isEqualTo("a0-b0");
        assertThat(d.inFrames()).isEqualTo(100);
        assertThat(d.outBytes()).isEqualTo(120_000);
        assertThat(d.queueFrames()).isEqualTo(5);
        assertThat(d.lossFraction()).isEqualTo(0.15);
        assertThat(d.meanLossBurst()).isEqualTo(3.0);
        assertThat(d.minus(d).inFrames()).isZero();
    }

    @Test
    void aMissingCounterIsNamed() {
        assertThatThrownBy(() -> DirectionStats.parse("a0-b0 in_frames=1"))
                .hasMessageStartingWith("no in_bytes in:");
    }
}
