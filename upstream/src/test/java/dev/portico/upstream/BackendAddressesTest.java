package dev.portico.upstream;

import dev.portico.core.net.HostPort;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Backend addresses for event loops: literals parsed once, names looked up only on the executor. */
class BackendAddressesTest {

    private final List<Runnable> tasks = new ArrayList<>();
    private final BackendAddresses addresses = new BackendAddresses(tasks::add);
    private final AtomicInteger told = new AtomicInteger();

    @Test
    void ipLiteralsAreParsedOnceAndNeedNoLookup() {
        HostPort v4 = HostPort.parse("127.0.0.1:8080");
        InetSocketAddress a = addresses.resolve(v4, 0, told::incrementAndGet);
        assertThat(a.isUnresolved()).isFalse();
        assertThat(a.getPort()).isEqualTo(8080);
        assertThat(addresses.resolve(v4, 1, told::incrementAndGet)).isSameAs(a);
        assertThat(addresses.literal(HostPort.parse("[::1]:53")).getAddress().isLoopbackAddress()).isTrue();
        assertThat(addresses.literal(HostPort.parse("localhost:53")).isUnresolved()).isTrue();
        assertThat(tasks).isEmpty();
        assertThat(told).hasValue(0);
    }

    @Test
    void aNameIsLookedUpOffTheCallingThreadFirstAndAgainInTheBackgroundWhileItsLastAddressServes() {
        HostPort name = HostPort.parse("localhost:8080");

        // First ask: nothing known yet, one lookup queued for however many connections wait.
        assertThat(addresses.resolve(name, 0, told::incrementAndGet)).isNull();
        assertThat(addresses.resolve(name, 0, told::incrementAndGet)).isNull();
        assertThat(tasks).hasSize(1);
        assertThat(told).hasValue(0);
        tasks.removeFirst().run();
        assertThat(told).hasValue(2);
        long looked = System.nanoTime();
        InetSocketAddress first = addresses.resolve(name, looked, told::incrementAndGet);
        assertThat(first.isUnresolved()).isFalse();
        assertThat(first.getAddress().isLoopbackAddress()).isTrue();

        // Fresh: used as is, nothing looked up.
        assertThat(addresses.resolve(name, looked + BackendAddresses.REFRESH_NANOS / 2, told::incrementAndGet)).isSameAs(first);
        assertThat(tasks).isEmpty();

        // Stale: still served, and one lookup is queued however often it is asked for meanwhile.
        long stale = looked + BackendAddresses.REFRESH_NANOS + 1_000_000_000L;
        assertThat(addresses.resolve(name, stale, told::incrementAndGet)).isSameAs(first);
        assertThat(addresses.resolve(name, stale + 1, told::incrementAndGet)).isSameAs(first);
        assertThat(tasks).hasSize(1);
        tasks.getFirst().run();
        InetSocketAddress again = addresses.resolve(name, System.nanoTime(), told::incrementAndGet);
        assertThat(again.getAddress().isLoopbackAddress()).isTrue();
        assertThat(again).isNotSameAs(first);
        assertThat(tasks).hasSize(1);
        assertThat(told).hasValue(2);
    }

    @Test
    void aNameThatDoesNotResolveTellsItsWaitersAndIsTriedAgainLater() {
        HostPort name = HostPort.parse("no-such-host.invalid:8080");
        assertThat(addresses.resolve(name, 0, told::incrementAndGet)).isNull();
        tasks.removeFirst().run();
        assertThat(told).hasValue(1);
        long now = System.nanoTime();
        assertThat(addresses.resolve(name, now, told::incrementAndGet).isUnresolved()).isTrue();
        assertThat(tasks).isEmpty();
        assertThat(addresses.resolve(name, now + BackendAddresses.RETRY_NANOS + 1_000_000_000L, told::incrementAndGet)
                .isUnresolved()).isTrue();
        assertThat(tasks).hasSize(1);
    }

    @Test
    void aRejectingExecutorFailsTheWaitersAtOnce() {
        BackendAddresses closing = new BackendAddresses(r -> {
            throw new java.util.concurrent.RejectedExecutionException("shut down");
        });
        HostPort name = HostPort.parse("localhost:8080");
        assertThat(closing.resolve(name, 0, told::incrementAndGet)).isNull();
        assertThat(told).hasValue(1);
        assertThat(closing.resolve(name, 1, told::incrementAndGet).isUnresolved()).isTrue();
    }
}
