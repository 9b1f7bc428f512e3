package dev.portico.server.cmd;

import dev.portico.server.Cli;
import dev.portico.server.CliRun;
import dev.portico.server.HelpWriter;
import dev.portico.server.Logging;
import dev.portico.server.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Help fits 80 columns without breaking a word or a path, and every quick start shows its default address. */
@Timeout(30)
class HelpTextTest {

    private static Set<String> words(String text) {
        return new HashSet<>(Arrays.asList(text.trim().split("\\s+")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"web", "proxy", "lb", "dns", "fs", "tunnel", "demo", "serve", "check", "diff", "import-3xsd", "import-txlb"})
    void helpWrapsAtSpacesWithinEightyColumns(String command) {
        CliRun r = CliRun.run(Main.builtinTypes(), command, "--help");
        assertThat(r.status).as(r.toString()).isZero();
        PrintStream sink = new PrintStream(new ByteArrayOutputStream());
        String unwrapped = new Main(new Cli(Main.builtinTypes(), sink, sink, new Logging(), false, d -> {
        })).commandLine().getSubcommands().get(command).getUsageMessage();

        for (String line : r.out.split("\n")) {
            assertThat(line.length() <= HelpWriter.WIDTH || !line.trim().contains(" "))
                    .as("'%s' is longer than 80 columns", line).isTrue();
        }
        Set<String> whole = words(unwrapped);
        assertThat(words(r.out)).as("every word of the help is a whole word of the text").isSubsetOf(whole);
    }

    @Test
    void everyQuickStartShowsItsDefaultListenAddress() {
        for (List<String> c : List.of(List.of("web", WebCommand.DEFAULT_LISTEN), List.of("proxy", ProxyCommand.DEFAULT_LISTEN),
                List.of("lb", LbCommand.DEFAULT_LISTEN), List.of("dns", DnsCommand.DEFAULT_LISTEN),
                List.of("demo", DemoCommand.DEFAULT_LISTEN))) {
            CliRun r = CliRun.run(Main.builtinTypes(), c.get(0), "--help");
            assertThat(r.out.replaceAll("\\s+", " ")).as(c.get(0))
                    .contains("--listen=HOST:PORT Address to listen on (HOST:PORT, :PORT or PORT; default: " + c.get(1) + ").");
        }
    }
}
