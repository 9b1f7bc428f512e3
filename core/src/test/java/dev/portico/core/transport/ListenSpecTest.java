package dev.portico.core.transport;

import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import dev.portico.core.net.HostPort;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code listen} entries: strings, mappings, and an address given twice. */
class ListenSpecTest {

    private static List<ListenSpec> read(String yaml, Problems problems) throws Exception {
        Section s = Section.of(new YamlLoader().load(yaml, "test.yaml"), "services.w", problems);
        return ListenSpec.read(s, "listen", List.of(), false);
    }

    @Test
    void stringsAndMappingsAreRead() throws Exception {
        Problems problems = new Problems();
        List<ListenSpec> l = read("listen: [127.0.0.1:80, {address: 127.0.0.1:443, tls: on}]\n", problems);
        assertThat(problems.list()).isEmpty();
        assertThat(l).containsExactly(ListenSpec.plain(HostPort.parse("127.0.0.1:80")),
                ListenSpec.tls(HostPort.parse("127.0.0.1:443")));
    }

    @Test
    void anAddressListedTwiceIsAProblemAtItsLine() throws Exception {
        Problems problems = new Problems();
        List<ListenSpec> l = read("""
                listen:
                  - 127.0.0.1:8080
                  - {address: 127.0.0.1:8080, tls: on}
                """, problems);
        assertThat(l).hasSize(1);
        assertThat(problems.list()).singleElement().asString()
                .startsWith("test.yaml:3:")
                .contains("'services.w.listen' lists 127.0.0.1:8080 twice");
    }

    @Test
    void portZeroMayRepeat() throws Exception {
        Problems problems = new Problems();
        List<ListenSpec> l = read("listen: 127.0.0.1:0, 127.0.0.1:0\n", problems);
        assertThat(problems.list()).isEmpty();
        assertThat(l).hasSize(2);
    }
}
