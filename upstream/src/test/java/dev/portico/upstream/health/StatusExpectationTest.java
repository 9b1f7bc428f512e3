package dev.portico.upstream.health;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StatusExpectationTest {

    @Test
    void matchesCodesRangesAndClasses() {
        StatusExpectation e = StatusExpectation.parse("200, 301-302, 4XX");
        assertThat(e.matches(200)).isTrue();
        assertThat(e.matches(201)).isFalse();
        assertThat(e.matches(301)).isTrue();
        assertThat(e.matches(302)).isTrue();
        assertThat(e.matches(303)).isFalse();
        assertThat(e.matches(404)).isTrue();
        assertThat(e.matches(500)).isFalse();
        assertThat(e).hasToString("200, 301-302, 4XX");
    }

    @Test
    void defaultAcceptsSuccessAndRedirects() {
        assertThat(StatusExpectation.DEFAULT.matches(204)).isTrue();
        assertThat(StatusExpectation.DEFAULT.matches(399)).isTrue();
        assertThat(StatusExpectation.DEFAULT.matches(404)).isFalse();
        assertThat(StatusExpectation.DEFAULT.matches(503)).isFalse();
        assertThat(StatusExpectation.parse("2xx,3xx")).isEqualTo(StatusExpectation.DEFAULT)
                .hasSameHashCodeAs(StatusExpectation.DEFAULT);
    }

    @Test
    void rejectsMalformedItems() {
        assertThatThrownBy(() -> StatusExpectation.parse("ok")).hasMessageContaining("\"ok\"");
        assertThatThrownBy(() -> StatusExpectation.parse("299-200")).hasMessageContaining("within 100-599");
        assertThatThrownBy(() -> StatusExpectation.parse("700")).hasMessageContaining("within 100-599");
        assertThatThrownBy(() -> StatusExpectation.parse("200,")).isInstanceOf(IllegalArgumentException.class);
    }
}
