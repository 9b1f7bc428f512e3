package dev.portico.server.tunnel;

import dev.portico.testing.netem.NetnsTopology;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Portico run from the tests' class path, in a host of a {@link NetnsTopology}. */
final class PorticoProcess {

    static final String TOKEN = "a shared secret for the tests";

    private PorticoProcess() {
    }

    /** The command line that runs Portico from the tests' class path. */
    static List<String> command(String... args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-XX:TieredStopAtLevel=1", "-Xmx256m",
                "-Duser.home=" + Path.of("target", "test-home").toAbsolutePath(),
                "-Dlogback.configurationFile=logback.xml", "-cp", cp, "dev.portico.server.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** {@code portico serve -c config} in a host, logging to {@code log}. */
    static Process serve(NetnsTopology.Host host, Path config, Path log) throws IOException {
        return host.start(log, command("serve", "-c", config.toString()).toArray(String[]::new));
    }

    /** The fingerprint {@code portico tunnel fingerprint} prints for service {@code service}. */
    static String fingerprint(NetnsTopology.Host host, Path config, String service) throws Exception {
        NetnsTopology.Result r = host.exec(Duration.ofSeconds(60),
                command("tunnel", "fingerprint", "-c", config.toString()).toArray(String[]::new));
        if (!r.ok()) {
            throw new AssertionError("portico tunnel fingerprint failed: " + r.stdout() + r.stderr());
        }
        return r.stdout().lines().filter(l -> l.startsWith(service + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no fingerprint for " + service + " in " + r.stdout()))
                .substring(service.length() + 1).strip();
    }

    static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }
}
