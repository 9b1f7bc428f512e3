package dev.portico.upstream.scheduler;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchedulersTest {

    @ParameterizedTest
    @CsvSource({
            "random,random", "rand,random", "roundrobin,roundrobin", "roundr,roundrobin", "RR,roundrobin",
            "leastconns,leastconns", "leastc,leastconns", "leastconnsrr,leastconnsrr",
            "weighted-leastconns,weighted-leastconns", "weightlc,weighted-leastconns",
            "weighted,weighted", "wrr,weighted", "weighted-random,weighted-random", "weightr,weighted-random",
            "maglev,maglev", "hash,maglev", "rendezvous,rendezvous", "hrw,rendezvous",
            "sticky,'roundrobin,sticky'", "' leastconns , sticky ','leastconns,sticky'", "'hash,sticky','maglev,sticky'"
    })
    void resolvesNamesAndAliases(String name, String canonical) {
        assertThat(Schedulers.byName(name).name()).isEqualTo(canonical);
    }

    @Test
    void everyCanonicalNameResolves() {
        for (String name : Schedulers.names()) {
            assertThat(Schedulers.byName(name)).isNotNull();
        }
    }

    @Test
    void returnsIndependentInstances() {
        assertThat(Schedulers.byName("roundrobin")).isNotSameAs(Schedulers.byName("roundrobin"));
    }

    @Test
    void unknownNameListsTheValidOnes() {
        assertThatThrownBy(() -> Schedulers.byName("fastest"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"fastest\"")
                .hasMessageContaining("random, roundrobin, leastconns, leastconnsrr, weighted-leastconns, weighted, "
                        + "weighted-random, sticky, maglev, rendezvous")
                .hasMessageContaining("weightr");
        assertThatThrownBy(() -> Schedulers.byName("sticky,sticky")).hasMessageContaining("expected one of");
        assertThatThrownBy(() -> Schedulers.byName("bogus,sticky")).hasMessageContaining("\"bogus,sticky\"");
    }
}
