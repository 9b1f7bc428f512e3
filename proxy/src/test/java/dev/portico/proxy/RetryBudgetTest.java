package dev.portico.proxy;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-pool retry budget: a share of recent requests, with a floor per second. */
class RetryBudgetTest {

    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong now = new AtomicLong(1000 * SECOND);

    private int retriesAllowed(RetryBudget budget) {
        int n = 0;
        while (budget.tryRetry()) {
            n++;
        }
        return n;
    }

    @Test
    void aQuietPoolStillGetsTheFloor() {
        RetryBudget budget = new RetryBudget(20, now::get);
        budget.request();
        assertThat(retriesAllowed(budget)).isEqualTo(RetryBudget.MIN_PER_SECOND * RetryBudget.WINDOW_SECONDS);
    }

    @Test
    void aBusyPoolGetsItsShareOfRequests() {
        RetryBudget budget = new RetryBudget(20, now::get);
        for (int i = 0; i < 1000; i++) {
            budget.request();
        }
        assertThat(retriesAllowed(budget)).isEqualTo(200);
    }

    @Test
    void theWindowSlidesSoOldRetriesAreForgotten() {
        RetryBudget budget = new RetryBudget(20, now::get);
        for (int i = 0; i < 1000; i++) {
            budget.request();
        }
        assertThat(retriesAllowed(budget)).isEqualTo(200);
        now.addAndGet(5 * SECOND);
        // Still within the window: the 1000 requests and 200 retries both count.
        assertThat(budget.tryRetry()).isFalse();
        now.addAndGet(6 * SECOND);
        // Both left the window: only the floor is there.
        assertThat(retriesAllowed(budget)).isEqualTo(RetryBudget.MIN_PER_SECOND * RetryBudget.WINDOW_SECONDS);
    }
}
