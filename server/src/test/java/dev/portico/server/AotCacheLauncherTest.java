package dev.portico.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The JVM flags and the AOT cache logic the launchers share (bin/lib/jvm-flags.sh): the defaults
 * and what replaces them, which cache file is used, when none is, and that a cache file that is
 * not what it claims does not fail the start.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AotCacheLauncherTest {

    private static final Path FLAGS = Path.of("..", "bin", "lib", "jvm-flags.sh").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    /** Sources jvm-flags.sh, runs {@code script} in bash and returns its stdout lines. */
    private static List<String> bash(String script, Map<String, String> env) throws IOException, InterruptedException {
        // Started with the signals the launcher looks at in their default state, however the test runs.
        ProcessBuilder pb = new ProcessBuilder("env", "--default-signal=HUP,INT,TERM,USR1", "bash", "-c", "set -euo pipefail; . \"$1\"; " + script, "bash",
                FLAGS.toString()).redirectErrorStream(true);
        pb.environment().remove("PORTICO_JAVA_OPTS");
        pb.environment().remove("PORTICO_AOT");
        pb.environment().remove("MALLOC_ARENA_MAX");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.isEmpty() ? List.of() : Arrays.asList(out.split("\n"));
    }

    private static String blocker(String javaOpts) throws Exception {
        List<String> lines = bash("portico_jvm_flags; portico_aot_blocker", Map.of("PORTICO_JAVA_OPTS", javaOpts));
        return lines.isEmpty() ? "" : lines.getFirst();
    }

    @Test
    void zgcAndHeapsWithoutCompressedOopsGoWithoutCache() throws Exception {
        assertThat(blocker("-Xmx256m")).isEmpty();
        assertThat(blocker("-XX:+UseZGC")).isEqualTo("ZGC");
        assertThat(blocker("-Xmx32g")).contains("32 GiB");
        assertThat(blocker("-XX:MaxHeapSize=40960m")).contains("32 GiB");
        assertThat(blocker("-Xmx31g")).isEmpty();
        assertThat(blocker("-XX:-UseCompressedOops")).isEqualTo("-XX:-UseCompressedOops");
        assertThat(bash("portico_jvm_flags; portico_aot_blocker", Map.of("PORTICO_AOT", "off")))
                .containsExactly("PORTICO_AOT=off");
    }

    @Test
    void aCacheIsWholeOnlyWithTheStampOfItsMaking() throws Exception {
        Path cache = Files.write(dir.resolve("portico-test.aot"), new byte[4096]);
        String whole = "if portico_aot_whole \"$CACHE\"; then echo whole; else echo not; fi";
        Map<String, String> env = Map.of("CACHE", cache.toString());

        assertThat(bash(whole, env)).containsExactly("not");
        bash("portico_aot_stamp \"$CACHE\" >\"$CACHE.stamp\"", env);
        assertThat(bash(whole, env)).containsExactly("whole");
        // Cut short or rewritten after it was made: the size differs from the stamp.
        Files.write(cache, new byte[100]);
        assertThat(bash(whole, env)).containsExactly("not");
    }

    private static List<String> flags(String javaOpts, String args) throws Exception {
        return bash("portico_jvm_flags " + args + "; printf '%s\\n' \"${PORTICO_FLAGS[@]}\"",
                Map.of("PORTICO_JAVA_OPTS", javaOpts));
    }

    @Test
    void commandsThatRunAndExitGoWithoutC2AndDaemonsKeepIt() throws Exception {
        assertThat(flags("", "check -c portico.yaml")).contains("-XX:TieredStopAtLevel=1");
        assertThat(flags("", "import-3xsd a.conf")).contains("-XX:TieredStopAtLevel=1");
        assertThat(flags("", "--version")).contains("-XX:TieredStopAtLevel=1");
        for (String daemon : List.of("web /srv/www", "serve -c portico.yaml", "demo", "train", "")) {
            assertThat(flags("", daemon)).as(daemon).noneMatch(f -> f.startsWith("-XX:TieredStopAtLevel"));
        }
        // The user's own choice replaces the default.
        assertThat(flags("-XX:TieredStopAtLevel=4", "check -c portico.yaml")).filteredOn(f -> f.contains("Tiered"))
                .containsExactly("-XX:TieredStopAtLevel=4");
    }

    @Test
    void theTunnelQuickStartsCompileSoonerAndNothingElseDoes() throws Exception {
        assertThat(flags("", "tunnel server --listen :9000 --session w=10.0.0.1:10.0.0.2"))
                .contains("-XX:CompileThresholdScaling=0.3");
        assertThat(flags("", "tunnel client --target h:9000 --session w=10.0.0.2:10.0.0.1"))
                .contains("-XX:CompileThresholdScaling=0.3");
        for (String other : List.of("web /srv/www", "serve -c portico.yaml", "demo", "train", "tunnel fingerprint -c p.yaml",
                "check -c tunnel.yaml", "")) {
            assertThat(flags("", other)).as(other).noneMatch(f -> f.startsWith("-XX:CompileThresholdScaling"));
        }
        // The user's own choice replaces the default.
        assertThat(flags("-XX:CompileThresholdScaling=1", "tunnel server --listen :9000"))
                .filteredOn(f -> f.contains("CompileThreshold")).containsExactly("-XX:CompileThresholdScaling=1");
    }

    @Test
    void theNativeHeapIsTrimmedEveryTwoSecondsUnlessTheUserSaysOtherwise() throws Exception {
        assertThat(flags("", "web /srv/www")).contains("-XX:TrimNativeHeapInterval=2000");
        assertThat(flags("-XX:TrimNativeHeapInterval=0", "web /srv/www")).filteredOn(f -> f.contains("TrimNative"))
                .containsExactly("-XX:TrimNativeHeapInterval=0");
    }

    @Test
    void theWebQuickStartHasACacheOfItsOwnAndEveryOtherCommandTheWholeOne() throws Exception {
        assertThat(bash("portico_aot_workload web /srv/www --listen :8080", Map.of())).containsExactly("web");
        for (String other : List.of("serve -c portico.yaml", "demo", "lb --backend a:1", "check -c p.yaml", "", "--web")) {
            assertThat(bash("portico_aot_workload " + other, Map.of())).as(other).containsExactly("all");
        }
        assertThat(bash("printf '%s\\n' \"${PORTICO_AOT_WORKLOADS[@]}\"", Map.of())).containsExactly("all", "web");
    }

    @Test
    void signalsTheLauncherWasStartedWithIgnoredAreResetByEnvBeforeJava() throws Exception {
        // Nothing ignored: java is exec'd directly.
        assertThat(bash("portico_exec_prefix; echo \"${#PORTICO_EXEC[@]}\"", Map.of())).containsExactly("0");
        // As under nohup (SIGHUP) and in a script's background (SIGINT); SIGQUIT is not Portico's.
        String ignored = "trap '' HUP INT QUIT; portico_exec_prefix; printf '%s\\n' \"${PORTICO_EXEC[@]}\"";
        assertThat(bash(ignored, Map.of())).containsExactly("env", "--default-signal=HUP,INT");
        // What the exec'd program then finds: HUP and INT at their defaults, QUIT still ignored.
        List<String> dispositions = bash("trap '' HUP INT QUIT; portico_exec_prefix; "
                + "\"${PORTICO_EXEC[@]}\" env --list-signal-handling true 2>&1", Map.of());
        assertThat(dispositions).anyMatch(l -> l.startsWith("QUIT")).noneMatch(l -> l.startsWith("HUP"))
                .noneMatch(l -> l.startsWith("INT"));
    }

    @Test
    void glibcGetsTwoMallocArenasUnlessTheEnvironmentNamesItsCount() throws Exception {
        String arenas = "portico_jvm_flags web /srv/www; bash -c 'echo \"$MALLOC_ARENA_MAX\"'";
        assertThat(bash(arenas, Map.of())).containsExactly("2");
        assertThat(bash(arenas, Map.of("MALLOC_ARENA_MAX", "8"))).containsExactly("8");
    }

    /** A jar holding {@code entries} (names), each with its own name as content. */
    private static void jar(Path file, String... entries) throws IOException {
        try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(file))) {
            for (String e : entries) {
                out.putNextEntry(new java.util.zip.ZipEntry(e));
                out.write(e.getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
    }

    @Test
    void nettysNativeLibrariesForThisMachineAreExtractedOnceIntoAWholeDirectory() throws Exception {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        // One jar per architecture Netty publishes for Linux; only this machine's is extracted.
        jar(lib.resolve("netty-transport-native-epoll-4.2.18.Final-linux-x86_64.jar"),
                "META-INF/native/libnetty_transport_native_epoll_x86_64.so", "io/netty/Epoll.class");
        jar(lib.resolve("netty-transport-native-epoll-4.2.18.Final-linux-aarch_64.jar"),
                "META-INF/native/libnetty_transport_native_epoll_aarch_64.so");
        jar(lib.resolve("netty-transport-native-epoll-4.2.18.Final-linux-riscv64.jar"),
                "META-INF/native/libnetty_transport_native_epoll_riscv64.so");
        jar(lib.resolve("netty-common-4.2.18.Final.jar"), "io/netty/Common.class");
        Path dest = dir.resolve("native");
        Map<String, String> env = Map.of("LIB", lib.toString(), "DEST", dest.toString());
        String arch = bash("uname -m", Map.of()).getFirst().equals("aarch64") ? "aarch_64" : "x86_64";

        assertThat(bash("portico_native_extract \"$LIB\" \"$DEST\" && echo made", env)).containsExactly("made");
        try (var files = Files.list(dest)) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .containsExactly("libnetty_transport_native_epoll_" + arch + ".so");
        }
        // Made already (another start won the race): left as it is, and no temporary directory stays.
        assertThat(bash("portico_native_extract \"$LIB\" \"$DEST\" && echo there", env)).containsExactly("there");
        try (var left = Files.list(dir)) {
            assertThat(left.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("lib", "native");
        }

        // No native jar at all: no directory, and the launcher leaves java.library.path alone.
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThat(bash("portico_native_extract \"$LIB\" \"$DEST\" || echo none",
                Map.of("LIB", empty.toString(), "DEST", dir.resolve("none").toString()))).containsExactly("none");
        assertThat(dir.resolve("none")).doesNotExist();
    }

    @Test
    void aCacheMadeWithOtherObjectLayoutFlagsIsNotUsed() throws Exception {
        Path cache = Files.write(dir.resolve("portico-layout.aot"), new byte[4096]);
        String whole = "portico_jvm_flags; if portico_aot_whole \"$CACHE\"; then echo whole; else echo not; fi";
        // Made with the default flags, as bin/package makes the packaged cache.
        bash("portico_jvm_flags; portico_aot_stamp \"$CACHE\" >\"$CACHE.stamp\"", Map.of("CACHE", cache.toString()));

        assertThat(bash(whole, Map.of("CACHE", cache.toString()))).containsExactly("whole");
        assertThat(bash(whole, Map.of("CACHE", cache.toString(), "PORTICO_JAVA_OPTS", "-Xmx256m -Xlog:gc")))
                .containsExactly("whole");
        // The JVM refuses a cache made with another object layout, with warnings on every start.
        assertThat(bash(whole, Map.of("CACHE", cache.toString(), "PORTICO_JAVA_OPTS", "-XX:+UseCompactObjectHeaders")))
                .containsExactly("not");
        assertThat(bash(whole, Map.of("CACHE", cache.toString(), "PORTICO_JAVA_OPTS", "-XX:+UseG1GC")))
                .containsExactly("not");
        assertThat(bash("portico_jvm_flags; portico_aot_layout",
                Map.of("PORTICO_JAVA_OPTS", "-XX:+UseCompactObjectHeaders -XX:-UseCompressedOops")))
                .containsExactly("-XX:+UseSerialGC -XX:+UseCompactObjectHeaders -XX:-UseCompressedOops");
    }

    @Test
    void aMadeCacheIsStampedAndAFailedTrainingLeavesNothing() throws Exception {
        Path cache = dir.resolve("portico-made.aot");
        Map<String, String> env = Map.of("CACHE", cache.toString());
        // A stand-in for java that writes what -XX:AOTCacheOutput names, as the JVM does at exit.
        bash("fake() { printf 'cache' >\"${1#-XX:AOTCacheOutput=}\"; }; portico_aot_make \"$CACHE\" fake train; "
                + "portico_aot_whole \"$CACHE\"", env);
        assertThat(cache).hasContent("cache");

        Path failed = dir.resolve("portico-failed.aot");
        List<String> out = bash("fail() { printf 'half' >\"${1#-XX:AOTCacheOutput=}\"; return 3; }; "
                + "portico_aot_make \"$CACHE\" fail train || echo \"status $?\"", Map.of("CACHE", failed.toString()));
        assertThat(out).containsExactly("status 3");
        try (var left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    "portico-made.aot", "portico-made.aot.stamp");
        }
    }

    @Test
    void aGarbageCacheThatLooksWholeDoesNotFailTheStart() throws Exception {
        Path cache = dir.resolve("portico-garbage.aot");
        byte[] garbage = new byte[64 * 1024];
        new java.util.Random(19).nextBytes(garbage);
        Files.write(cache, garbage);
        Files.writeString(dir.resolve("portico-garbage.aot.stamp"),
                bash("portico_jvm_flags; portico_aot_stamp \"$CACHE\"", Map.of("CACHE", cache.toString())).getFirst() + "\n");
        List<String> flags = bash("portico_jvm_flags; if portico_aot_whole \"$CACHE\"; then "
                + "PORTICO_FLAGS+=(\"-XX:AOTCache=$CACHE\"); fi; printf '%s\\n' \"${PORTICO_FLAGS[@]}\"",
                Map.of("CACHE", cache.toString()));
        assertThat(flags).contains("-XX:AOTCache=" + cache);

        Path site = Files.createDirectories(dir.resolve("site"));
        Files.writeString(site.resolve("index.html"), "started without its cache\n");
        // Heap and collector flags stay the test's own (PorticoProcess); the cache is what is tried.
        List<String> jvm = flags.stream().filter(f -> f.startsWith("-XX:AOTCache=")).toList();
        try (PorticoProcess p = PorticoProcess.startWithJvmFlags(dir, jvm, "web", site.toString(),
                "--listen", "127.0.0.1:0", "--admin", "off")) {
            p.awaitOut("Ready.");
            int port = Integer.parseInt(p.find("^  service web: http://127\\.0\\.0\\.1:(\\d+)/").orElseThrow());
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("started without its cache\n");
        }
    }

    /**
     * bin/portico of a checkout, in a copy with a fake JDK whose java prints its arguments: the
     * cache key follows the jars even though the launcher remembers the last key it computed
     * (target/launch.keys), and a cache is passed only under the key of the jars as they are.
     */
    @Test
    void theCheckoutLaunchersCacheKeyFollowsTheJarsItRemembers() throws Exception {
        Path root = dir.resolve("checkout");
        Path bin = Files.createDirectories(root.resolve("bin/lib"));
        Path source = FLAGS.getParent().getParent();
        Files.copy(source.resolve("portico"), bin.getParent().resolve("portico"));
        for (String lib : List.of("java.sh", "jvm-flags.sh")) {
            Files.copy(source.resolve("lib").resolve(lib), bin.resolve(lib));
        }
        Path lib = Files.createDirectories(root.resolve("server/target/lib"));
        Files.writeString(root.resolve("server/target/portico-server.jar"), "server");
        Path jar = Files.writeString(lib.resolve("netty-common.jar"), "v1");
        Path jdk = Files.createDirectories(dir.resolve("jdk/bin"));
        Files.writeString(jdk.getParent().resolve("release"), "JAVA_VERSION=\"25.0.1\"\n");
        Path java = Files.writeString(jdk.resolve("java"), "#!/bin/sh\nprintf '%s\\n' \"$@\"\n");
        java.toFile().setExecutable(true);
        Map<String, String> env = Map.of("JAVA_HOME", jdk.getParent().toString(), "PORTICO_SKIP_BUILD", "1");

        List<String> first = launch(root, env);
        trainedInTheBackground(root);
        String key = rememberedKey(root);
        assertThat(first).contains("dev.portico.server.Main", "web").noneMatch(a -> a.startsWith("-XX:AOTCache="));

        // A cache made for this key, with its stamp: the next start maps it.
        Path cache = root.resolve("target/aot/portico-" + key + "-web.aot");
        Files.write(cache, new byte[1024]);
        bash("portico_jvm_flags web; portico_aot_stamp \"$CACHE\" >\"$CACHE.stamp\"", Map.of("CACHE", cache.toString()));
        assertThat(launch(root, env)).contains("-XX:AOTCache=" + cache);
        assertThat(rememberedKey(root)).isEqualTo(key);

        // Another jar of the same name: a new key, and the old cache is not passed.
        Files.writeString(jar, "version 2");
        assertThat(launch(root, env)).noneMatch(a -> a.startsWith("-XX:AOTCache="));
        trainedInTheBackground(root);
        assertThat(rememberedKey(root)).isNotEqualTo(key);
    }

    /**
     * Waits for the training a start without its cache began in the background: with the fake java
     * both runs fail (no cache written), the last line names the second, then the lock is let go.
     */
    private static void trainedInTheBackground(Path root) {
        Path log = root.resolve("target/aot/train.log");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(log)
                && Files.readString(log).contains("training run (all) failed")
                && new ProcessBuilder("flock", "-n", root.resolve("target/aot/.lock").toString(), "true")
                        .start().waitFor() == 0);
    }

    private static List<String> launch(Path root, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(root.resolve("bin/portico").toString(), "web", "/srv/www")
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("PORTICO_JAVA_OPTS");
        pb.environment().remove("PORTICO_AOT");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return Arrays.asList(out.split("\n"));
    }

    /** The cache key bin/portico computed last, from target/launch.keys ("keys AOT NATIVE"). */
    private static String rememberedKey(Path root) throws IOException {
        List<String> lines = Files.readAllLines(root.resolve("target/launch.keys"));
        String[] keys = lines.getLast().split(" ");
        assertThat(keys).hasSize(3);
        assertThat(keys[0]).isEqualTo("keys");
        assertThat(keys[1]).matches("[0-9a-f]{16}");
        return keys[1];
    }
}
