package dev.portico.core.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SectionTest {

    private final Problems problems = new Problems();

    private Section section(String yaml) throws ConfigException {
        return Section.of(new YamlLoader().load(yaml, "s.yaml"), "web", problems);
    }

    private List<String> messages() {
        return problems.list().stream().map(Object::toString).toList();
    }

    @Test
    void typedGettersReadValues() throws Exception {
        Section s = section("""
                name: site
                on: yes
                count: 12
                size: 64k
                wait: 1m30s
                mode: Follow
                list: [a, b]
                csv: a, b ,c
                ports: [80, "81,82"]
                nested: {x: 1}
                map: {md: text/markdown}
                """);
        assertThat(s.string("name", null)).isEqualTo("site");
        assertThat(s.bool("on", false)).isTrue();
        assertThat(s.integer("count", 0, 0, 100)).isEqualTo(12);
        assertThat(s.size("size", 0)).isEqualTo(65536);
        assertThat(s.duration("wait", Duration.ZERO)).isEqualTo(Duration.ofSeconds(90));
        assertThat(s.oneOf("mode", "inside", List.of("inside", "follow"))).isEqualTo("follow");
        assertThat(s.strings("list", List.of())).containsExactly("a", "b");
        assertThat(s.strings("csv", List.of())).containsExactly("a", "b", "c");
        assertThat(s.list("ports", List.of(), Integer::parseInt)).containsExactly(80, 81, 82);
        Section nested = s.section("nested");
        assertThat(nested.path()).isEqualTo("web.nested");
        assertThat(nested.integer("x", 0, 0, 9)).isEqualTo(1);
        assertThat(s.stringMap("map")).isEqualTo(Map.of("md", "text/markdown"));
        s.finish();
        nested.finish();
        assertThat(problems.isEmpty()).as(messages().toString()).isTrue();
    }

    @Test
    void absentKeysGiveDefaults() throws Exception {
        Section s = section("a: 1\n");
        assertThat(s.string("x", "d")).isEqualTo("d");
        assertThat(s.bool("x", true)).isTrue();
        assertThat(s.size("x", 7)).isEqualTo(7);
        assertThat(s.strings("x", List.of("z"))).containsExactly("z");
        assertThat(s.has("x")).isFalse();
        assertThat(s.has("a")).isTrue();
        assertThat(s.section("x").keys()).isEmpty();
        assertThat(problems.isEmpty()).isTrue();
    }

    @Test
    void badValuesAreReportedAtTheValueAndTheDefaultReturned() throws Exception {
        Section s = section("""
                on: maybe
                count: 500
                size: lots
                wait: soon
                mode: folow
                list: {a: 1}
                ports: [80, x]
                """);
        assertThat(s.bool("on", false)).isFalse();
        assertThat(s.integer("count", 5, 0, 100)).isEqualTo(5);
        assertThat(s.size("size", 1)).isEqualTo(1);
        assertThat(s.duration("wait", Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.oneOf("mode", "inside", List.of("inside", "follow"))).isEqualTo("inside");
        assertThat(s.strings("list", List.of())).isEmpty();
        assertThat(s.list("ports", List.of(), Integer::parseInt)).containsExactly(80);
        assertThat(messages()).containsExactly(
                "s.yaml:1:5: bad 'web.on': 'maybe' is not a boolean (use true/false or on/off)",
                "s.yaml:2:8: bad 'web.count': 500 is out of range (0 to 100)",
                "s.yaml:3:7: bad 'web.size': 'lots' is not a size (examples: 512, 64k, 10m, 1g)",
                "s.yaml:4:7: bad 'web.wait': 'soon' is not a duration (examples: 500ms, 30s, 5m, 2h, 7d)",
                "s.yaml:5:7: bad 'web.mode': 'folow' is not one of [inside, follow]; did you mean 'follow'?",
                "s.yaml:6:7: 'web.list' must be a list, not a mapping",
                "s.yaml:7:13: bad 'web.ports': For input string: \"x\"");
    }

    @Test
    void requiredKeysAndShapes() throws Exception {
        Section s = section("nested: 3\n");
        assertThat(s.requiredString("root")).isNull();
        s.section("nested");
        assertThat(messages()).containsExactly("s.yaml:1:1: 'web' needs 'root'",
                "s.yaml:1:9: 'web.nested' must be a mapping, not a value");
    }

    @Test
    void finishReportsUnknownKeysWithTheNearestKnownOne() throws Exception {
        Section s = section("""
                listen: 80
                rooot: /srv
                gzpi: on
                zzzzzzzz: 1
                """);
        s.string("listen", null);
        s.string("root", null);
        s.bool("gzip", false);
        s.finish();
        assertThat(messages()).containsExactly(
                "s.yaml:2:1: unknown key 'rooot' in 'web'; did you mean 'root'?",
                "s.yaml:3:1: unknown key 'gzpi' in 'web'; did you mean 'gzip'?",
                "s.yaml:4:1: unknown key 'zzzzzzzz' in 'web'");
    }

    @Test
    void problemsThrowTogether() throws Exception {
        Section s = section("a: x\nb: y\n");
        s.integer("a", 0, 0, 1);
        s.integer("b", 0, 0, 1);
        assertThatThrownBy(problems::throwIfAny)
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).hasSize(2))
                .hasMessage("s.yaml:1:4: bad 'web.a': 'x' is not a whole number\ns.yaml:2:4: bad 'web.b': 'y' is not a whole number");
    }

    @Test
    void suggestionsAllowSmallTyposOnly() {
        assertThat(Suggest.nearest("wokers", List.of("workers", "admin"))).hasValue("workers");
        assertThat(Suggest.nearest("tranpsort", List.of("transport"))).hasValue("transport");
        assertThat(Suggest.nearest("xyz", List.of("workers"))).isEmpty();
        assertThat(Suggest.distance("ab", "ba")).isEqualTo(1);
    }
}
