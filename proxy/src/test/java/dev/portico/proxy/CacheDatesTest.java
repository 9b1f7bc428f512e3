package dev.portico.proxy;

import dev.portico.testing.ManualClock;
import dev.portico.proxy.cache.CacheConfig;
import dev.portico.proxy.cache.HttpDate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** HTTP dates in the cache (RFC 9110 §5.6.7), invalid Expires (RFC 9111 §5.3), Date and Age on answers (§4.2.3). */
@Timeout(30)
class CacheDatesTest {

    private final ManualClock clock = new ManualClock();
    private final ProxyHarness h = new ProxyHarness(clock);

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private Origin start(Origin.Script script) throws IOException {
        Origin o = h.origin("o", script);
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).cache(CacheConfig.builder().build())
                .build());
        return o;
    }

    /** The path names which Expires the backend sends (with a Date of now and no validator). */
    private Origin expiresByPath(long now) throws IOException {
        String date = HttpDate.format(now);
        return start((req, in, out) -> {
            String path = req.head().line().split(" ")[1];
            String[] expires = switch (path) {
                case "/rfc850" -> new String[] {"Expires: " + rfc850(now + 60_000)};
                case "/asctime" -> new String[] {"Expires: " + asctime(now + 60_000)};
                case "/one-digit-hour" -> new String[] {"Expires: Thu, 01 Jan 2099 1:00:00 GMT"};
                case "/one-digit-day" -> new String[] {"Expires: Thu, 1 Jan 2099 00:00:00 GMT"};
                case "/offset" -> new String[] {"Expires: Thu, 01 Jan 2099 00:00:00 +0000"};
                case "/no-weekday" -> new String[] {"Expires: 01 Jan 2099 00:00:00 GMT"};
                case "/several" -> new String[] {"Expires: Thu, 01 Jan 2099 00:00:00 GMT",
                    "Expires: " + HttpDate.format(now + 1000)};
                case "/same-twice" -> new String[] {"Expires: " + HttpDate.format(now + 60_000),
                    "Expires: " + HttpDate.format(now + 60_000)};
                case "/zero" -> new String[] {"Expires: 0"};
                default -> new String[] {"Expires: garbage"};
            };
            String[] all = new String[expires.length + 1];
            all[0] = "Date: " + date;
            System.arraycopy(expires, 0, all, 1, expires.length);
            return Replies.write(out, 200, "e", all);
        });
    }

    private static String rfc850(long millis) {
        // "Sun, 06 Nov 1994 08:49:37 GMT" -> "Sunday, 06-Nov-94 08:49:37 GMT"
        String imf = HttpDate.format(millis);
        String day = switch (imf.substring(0, 3)) {
            case "Mon" -> "Monday";
            case "Tue" -> "Tuesday";
            case "Wed" -> "Wednesday";
            case "Thu" -> "Thursday";
            case "Fri" -> "Friday";
            case "Sat" -> "Saturday";
            default -> "Sunday";
        };
        return day + ", " + imf.substring(5, 7) + "-" + imf.substring(8, 11) + "-" + imf.substring(14, 16)
                + imf.substring(16);
    }

    private static String asctime(long millis) {
        String imf = HttpDate.format(millis);
        String day = imf.charAt(5) == '0' ? " " + imf.charAt(6) : imf.substring(5, 7);
        return imf.substring(0, 3) + " " + imf.substring(8, 11) + " " + day + " " + imf.substring(17, 25) + " "
                + imf.substring(12, 16);
    }

    @Test
    void expiresInTheObsoleteFormsGivesTheLifetime() throws Exception {
        Origin o = expiresByPath(clock.millis());
        for (String path : new String[] {"/rfc850", "/asctime", "/same-twice"}) {
            assertThat(h.get("x", path).header("x-cache")).as(path).isEqualTo("MISS");
            assertThat(h.get("x", path).header("x-cache")).as(path).isEqualTo("HIT");
        }
        clock.advance(Duration.ofSeconds(61));
        for (String path : new String[] {"/rfc850", "/asctime", "/same-twice"}) {
            assertThat(h.get("x", path).header("x-cache")).as(path).isEqualTo("MISS");
        }
        assertThat(o.seen).hasSize(6);
    }

    @Test
    void anInvalidExpiresMeansAlreadyExpired() throws Exception {
        Origin o = expiresByPath(clock.millis());
        String[] paths = {"/one-digit-hour", "/one-digit-day", "/offset", "/no-weekday", "/several", "/zero", "/garbage"};
        for (String path : paths) {
            assertThat(h.get("x", path).header("x-cache")).as(path).isEqualTo("MISS");
            assertThat(h.get("x", path).header("x-cache")).as(path).isEqualTo("MISS");
        }
        assertThat(o.seen).hasSize(paths.length * 2);
    }

    @Test
    void aHitKeepsTheStoredDateAndAddsItsAge() throws Exception {
        // The backend's clock says the response is already 3 s old when it arrives.
        String date = HttpDate.format(clock.millis() / 1000 * 1000 - 3000);
        Origin o = start(Replies.always(200, "d", "Date: " + date, "Cache-Control: max-age=60"));
        Http.Response miss = h.get("x", "/d");
        assertThat(miss.header("x-cache")).isEqualTo("MISS");
        assertThat(miss.header("age")).isNull();
        clock.advance(Duration.ofSeconds(10));
        Http.Response hit = h.get("x", "/d");
        assertThat(hit.header("x-cache")).isEqualTo("HIT");
        assertThat(hit.header("date")).isEqualTo(date);
        // apparent age 3 s (Date against the arrival) plus 10 s resident
        assertThat(Long.parseLong(hit.header("age"))).isBetween(13L, 14L);
        Http.Response notModified = h.get("x", "/d", "If-None-Match: *");
        assertThat(notModified.header("date")).isEqualTo(date);
        assertThat(o.seen).hasSize(1);
    }

    @Test
    void theBackendsAgeCountsAndIsRelayedAndAMissAddsNone() throws Exception {
        String date = HttpDate.format(clock.millis());
        Origin o = start((req, in, out) -> Replies.write(out, 200, req.head().line().startsWith("HEAD") ? null : "a",
                req.head().line().contains("/aged") ? new String[] {"Date: " + date, "Age: 100", "Cache-Control: max-age=600"}
                        : new String[] {"Date: " + HttpDate.format(clock.millis()), "Cache-Control: max-age=600"}));
        Http.Response miss = h.get("x", "/aged");
        assertThat(miss.header("age")).isEqualTo("100");
        clock.advance(Duration.ofSeconds(5));
        Http.Response hit = h.get("x", "/aged");
        assertThat(Long.parseLong(hit.header("age"))).isBetween(105L, 106L);
        assertThat(hit.header("date")).isEqualTo(date);
        // a HEAD miss is answered from the entry it stores: no Age of the proxy's own
        try (ProxyHarness.Client c = h.client()) {
            c.send("HEAD /fresh HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response head = c.read(true);
            assertThat(head.header("x-cache")).isEqualTo("MISS");
            assertThat(head.header("age")).isNull();
            assertThat(head.header("date")).isEqualTo(HttpDate.format(clock.millis()));
        }
        assertThat(o.seen).hasSize(2);
    }
}
