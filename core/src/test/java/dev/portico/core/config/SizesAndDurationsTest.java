package dev.portico.core.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SizesAndDurationsTest {

    @Test
    void sizesAreBinary() {
        assertThat(Sizes.parse("512")).isEqualTo(512);
        assertThat(Sizes.parse("1k")).isEqualTo(1024);
        assertThat(Sizes.parse("64K")).isEqualTo(64 * 1024);
        assertThat(Sizes.parse("10m")).isEqualTo(10L << 20);
        assertThat(Sizes.parse("1g")).isEqualTo(1L << 30);
        assertThat(Sizes.parse("2t")).isEqualTo(2L << 40);
        assertThat(Sizes.parse("5kb")).isEqualTo(5 * 1024);
        assertThat(Sizes.parse("5KiB")).isEqualTo(5 * 1024);
        assertThat(Sizes.parse(" 0 ")).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "k", "lots", "-1", "1.5m", "99999999999t"})
    void badSizes(String text) {
        assertThatThrownBy(() -> Sizes.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + text + "'");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 1000, 1024, 1536, 65536, 1L << 20, 3L << 30, 5L << 40, 123456789})
    void sizesRoundTrip(long n) {
        assertThat(Sizes.parse(Sizes.format(n))).isEqualTo(n);
    }

    @Test
    void sizesFormatWithTheLargestExactSuffix() {
        assertThat(Sizes.format(1024)).isEqualTo("1k");
        assertThat(Sizes.format(1536)).isEqualTo("1536");
        assertThat(Sizes.format(64L << 20)).isEqualTo("64m");
        assertThat(Sizes.format(1000)).isEqualTo("1000");
    }

    @Test
    void durations() {
        assertThat(Durations.parse("30")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("2H")).isEqualTo(Duration.ofHours(2));
        assertThat(Durations.parse("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(Durations.parse("1w")).isEqualTo(Duration.ofDays(7));
        assertThat(Durations.parse("1y")).isEqualTo(Duration.ofDays(365));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "soon", "5 minutes", "m5", "1x"})
    void badDurations(String text) {
        assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a duration");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 999, 1000, 1500, 60_000, 90_000, 3_600_000, 86_400_000, 7 * 86_400_000L})
    void durationsRoundTrip(long ms) {
        Duration d = Duration.ofMillis(ms);
        assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
    }

    @Test
    void durationsFormatShort() {
        assertThat(Durations.format(Duration.ofSeconds(10))).isEqualTo("10s");
        assertThat(Durations.format(Duration.ofMinutes(5))).isEqualTo("5m");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Durations.format(Duration.ofDays(2))).isEqualTo("2d");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
    }
}
