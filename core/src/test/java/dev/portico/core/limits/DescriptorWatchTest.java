package dev.portico.core.limits;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Closing the longest-idle keep-alive connections once open descriptors near the limit. */
class DescriptorWatchTest {

    @Test
    void belowNinetyPercentNothingIsClosed() {
        List<Long> closed = new ArrayList<>();
        DescriptorWatch w = new DescriptorWatch(1000, () -> 899, into -> idle(into, closed, 5), () -> 0);
        assertThat(w.check()).isZero();
        assertThat(closed).isEmpty();
    }

    @Test
    void nearTheLimitTheLongestIdleCloseFirstDownToEightyFivePercent() {
        List<Long> closed = new ArrayList<>();
        AtomicInteger open = new AtomicInteger(910);
        DescriptorWatch w = new DescriptorWatch(1000, open::get, into -> idle(into, closed, 100), () -> 0);
        assertThat(w.check()).isEqualTo(60);
        // idleSince 0 went idle first: it and the 59 after it are the ones closed.
        assertThat(closed).hasSize(60).allMatch(since -> since < 60);
    }

    @Test
    void onlyTheIdleOnesAreOffered() {
        List<Long> closed = new ArrayList<>();
        DescriptorWatch w = new DescriptorWatch(1000, () -> 1000, into -> idle(into, closed, 3), () -> 0);
        assertThat(w.check()).isEqualTo(3);
    }

    @Test
    void descriptorsTooShortToCountThemCountAsTheLimit() {
        List<Long> closed = new ArrayList<>();
        DescriptorWatch w = new DescriptorWatch(1000, () -> Integer.MAX_VALUE, into -> idle(into, closed, 500), () -> 0);
        assertThat(w.check()).isEqualTo(150);
    }

    @Test
    void anUncountableProcessIsLeftAlone() {
        List<Long> closed = new ArrayList<>();
        DescriptorWatch w = new DescriptorWatch(1000, () -> -1, into -> idle(into, closed, 3), () -> 0);
        assertThat(w.check()).isZero();
    }

    /** Offers {@code n} idle connections, idle since n-1 down to 0 (newest first, to show the sort). */
    private static void idle(java.util.function.Consumer<IdleConnection> into, List<Long> closed, int n) {
        for (long i = n - 1; i >= 0; i--) {
            long since = i;
            into.accept(new IdleConnection(since, () -> closed.add(since)));
        }
    }
}
