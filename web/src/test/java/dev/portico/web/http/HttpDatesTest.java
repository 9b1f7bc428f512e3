package dev.portico.web.http;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class HttpDatesTest {

    private static final long NOW = Instant.parse("2026-12-05T12:00:00Z").toEpochMilli();
    private static final long RFC_EXAMPLE = Instant.parse("1994-11-06T08:49:37Z").toEpochMilli();

    @Test
    void theThreeFormsOfRfc9110() {
        assertThat(HttpDates.parse("Sun, 06 Nov 1994 08:49:37 GMT", NOW)).isEqualTo(RFC_EXAMPLE);
        assertThat(HttpDates.parse("Sunday, 06-Nov-94 08:49:37 GMT", NOW)).isEqualTo(RFC_EXAMPLE);
        assertThat(HttpDates.parse("Sun Nov  6 08:49:37 1994", NOW)).isEqualTo(RFC_EXAMPLE);
        assertThat(HttpDates.parse(" Sun, 06 Nov 1994 08:49:37 GMT\t", NOW)).isEqualTo(RFC_EXAMPLE);
        assertThat(HttpDates.parse("Thu, 29 Feb 2024 23:59:59 GMT", NOW))
                .isEqualTo(Instant.parse("2024-02-29T23:59:59Z").toEpochMilli());
        assertThat(HttpDates.parse("Thu, 01 Jan 1970 00:00:00 GMT", NOW)).isZero();
        assertThat(HttpDates.parse(HttpDates.format(NOW + 1234), NOW)).isEqualTo(NOW + 1000);
    }

    @Test
    void twoDigitYearsMoreThanFiftyYearsAheadAreInThePast() {
        assertThat(HttpDates.parse("Thursday, 01-Jan-76 00:00:00 GMT", NOW))
                .isEqualTo(Instant.parse("2076-01-01T00:00:00Z").toEpochMilli());
        assertThat(HttpDates.parse("Saturday, 01-Jan-77 00:00:00 GMT", NOW))
                .isEqualTo(Instant.parse("1977-01-01T00:00:00Z").toEpochMilli());
        assertThat(HttpDates.parse("Saturday, 01-Jan-00 00:00:00 GMT", NOW))
                .isEqualTo(Instant.parse("2000-01-01T00:00:00Z").toEpochMilli());
    }

    @Test
    void anythingElseIsInvalid() {
        for (String bad : new String[] {null, "", "0", "-1", "garbage", "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37 +0000", "06 Nov 1994 08:49:37 GMT", "sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT", "Sun, 29 Feb 2023 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sunday, 06 Nov 94 08:49:37 GMT", "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 94",
            "Sun, 06 Nov 1994 08:49:37 GMTX", "Sun, 06 Nov 1994 08.49.37 GMT", "Sun, 0x Nov 1994 08:49:37 GMT"}) {
            assertThat(HttpDates.parse(bad, NOW)).as(bad).isEqualTo(HttpDates.INVALID);
        }
    }
}
