package dev.portico.proxy.cache;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which stored variant a request selects by the values its Vary names. */
class VariantsTest {

    private static CachedResponse variant(String... vary) {
        return new CachedResponse(200, List.of(), new byte[] {1}, 0, 0, 0, 60_000, 0, List.of(vary), "");
    }

    private static HttpHeaders request(String... fields) {
        // not validated: values with the spaces around them that a decoder would strip
        HttpHeaders h = DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders();
        for (int i = 0; i < fields.length; i += 2) {
            h.add(fields[i], fields[i + 1]);
        }
        return h;
    }

    @Test
    void oneFieldIsComparedAsItsNormalisedList() {
        CachedResponse fr = variant("accept-language", "fr,de");
        Variants v = new Variants(List.of(fr));
        assertThat(v.select(request("Accept-Language", "fr,de"))).isSameAs(fr);
        assertThat(v.select(request("Accept-Language", " fr ,  de "))).isSameAs(fr);
        assertThat(v.select(request("Accept-Language", "fr,,de,"))).isSameAs(fr);
        assertThat(v.select(request("Accept-Language", "fr"))).isNull();
        assertThat(v.select(request("Accept-Language", "fr,de,en"))).isNull();
        assertThat(v.select(request("Accept-Language", "fr,d"))).isNull();
        assertThat(v.select(request("Accept-Language", "frde"))).isNull();
        assertThat(v.select(request("Accept-Language", "fr;de"))).isNull();
        assertThat(v.select(request())).isNull();
    }

    @Test
    void aFieldSentSeveralTimesIsJoinedAsWhenStored() {
        CachedResponse fr = variant("accept-language", "fr,de");
        Variants v = new Variants(List.of(fr));
        assertThat(v.select(request("Accept-Language", "fr", "Accept-Language", " de"))).isSameAs(fr);
        assertThat(v.select(request("Accept-Language", "fr", "Accept-Language", "en"))).isNull();
    }

    @Test
    void anAbsentOrEmptyFieldMatchesAVariantStoredWithoutIt() {
        CachedResponse none = variant("accept-encoding", "");
        Variants v = new Variants(List.of(none));
        assertThat(v.select(request())).isSameAs(none);
        assertThat(v.select(request("Accept-Encoding", ""))).isSameAs(none);
        assertThat(v.select(request("Accept-Encoding", " , "))).isSameAs(none);
        assertThat(v.select(request("Accept-Encoding", "gzip"))).isNull();
    }

    @Test
    void theComparisonAgreesWithNormalise() {
        List<String> values = List.of("", " ", ",", "a", " a", "a ", "a,b", "a, b", " a ,b ,", ",a,,b,", "ab",
                "a,bc", "a\tb", "a, b, c");
        for (String value : values) {
            for (String other : values) {
                String want = Variants.normalise(List.of(other));
                assertThat(Variants.normalisesTo(value, want)).as("'%s' against '%s'", value, want)
                        .isEqualTo(Variants.normalise(List.of(value)).equals(want));
            }
        }
    }
}
