package dev.portico.server;

import dev.portico.testing.LineClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code portico serve} as a real process: banner, SIGHUP reloads, SIGTERM stops with status 0. */
@Timeout(120)
class ServeProcessTest {

    private static final Duration IO = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private static String config(String livePrefix, String fixedPrefix, boolean withExtra, String adminToken) {
        return """
                workers: 2
                shutdown_grace: 2s
                admin:
                  listen: 127.0.0.1:0
                  token: %s
                services:
                  live:
                    type: echo
                    listen: 127.0.0.1:0
                    prefix: "%s"
                  fixed:
                    type: static-echo
                    listen: 127.0.0.1:0
                    prefix: "%s"
                %s""".formatted(adminToken, livePrefix, fixedPrefix,
                withExtra ? "  extra:\n    type: echo\n    listen: 127.0.0.1:0\n    prefix: \"x \"\n" : "");
    }

    private static int status(HttpClient http, String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(IO);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void reloadsOnHupAndStopsCleanlyOnTerm() throws Exception {
        Path cfg = Files.writeString(dir.resolve("portico.yaml"), config("v1 ", "f1 ", false, "t1"));
        try (PorticoProcess p = PorticoProcess.start(dir, "serve", "-c", cfg.toString());
             HttpClient http = HttpClient.newHttpClient()) {
            p.awaitOut("Ready.");
            int live = p.servicePort("live");
            int fixed = p.servicePort("fixed");
            String admin = p.adminUrl();
            assertThat(p.find("^  transport: (\\S+)")).isPresent();
            assertThat(p.find("^  workers: (\\d+)")).hasValue("2");

            assertThat(LineClient.ask(live, "a", IO)).isEqualTo("v1 a");
            assertThat(LineClient.ask(fixed, "a", IO)).isEqualTo("f1 a");
            assertThat(status(http, admin + "/metrics", "t1")).isEqualTo(200);
            assertThat(status(http, admin + "/metrics", null)).isEqualTo(401);

            // Change one reconfigurable and one plain service, add a third, rotate the admin token.
            Files.writeString(cfg, config("v2 ", "f2 ", true, "t2"));
            int mark = p.errLines();
            p.signal("HUP");
            p.awaitErr("reload done", mark);

            assertThat(LineClient.ask(live, "b", IO)).isEqualTo("v2 b");
            int fixedNow = Integer.parseInt(p.find("service 'fixed' restarted with its new config: \\[tcp://127\\.0\\.0\\.1:(\\d+)")
                    .orElseThrow());
            assertThat(LineClient.ask(fixedNow, "b", IO)).isEqualTo("f2 b");
            if (fixedNow != fixed) {
                assertThatThrownBy(() -> LineClient.ask(fixed, "b", IO)).isInstanceOf(ConnectException.class);
            }
            int extra = Integer.parseInt(p.find("service 'extra' added and started: \\[tcp://127\\.0\\.0\\.1:(\\d+)").orElseThrow());
            assertThat(LineClient.ask(extra, "c", IO)).isEqualTo("x c");
            String adminNow = p.find("admin endpoint now at (http://\\S+)").orElseThrow();
            assertThat(status(http, adminNow + "/metrics", "t2")).isEqualTo(200);
            assertThat(status(http, adminNow + "/metrics", "t1")).isEqualTo(401);

            // A broken file is reported with its place and changes nothing.
            Files.writeString(cfg, config("v3 ", "f3 ", true, "t2").replace("    prefix: \"v3 \"", "    prefx: \"v3 \""));
            mark = p.errLines();
            p.signal("HUP");
            p.awaitErr("unknown key 'prefx' in 'services.live'; did you mean 'prefix'?", mark);
            assertThat(p.err().stream().skip(mark)).anyMatch(l -> l.contains(cfg + ":10:5: unknown key 'prefx'"))
                    .anyMatch(l -> l.contains("the running config stays in force"));
            assertThat(LineClient.ask(live, "d", IO)).isEqualTo("v2 d");

            assertThat(p.terminate(Duration.ofSeconds(20))).isZero();
            assertThat(p.err()).anyMatch(l -> l.contains("stopped"));
            assertThatThrownBy(() -> LineClient.ask(live, "e", IO)).isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void reloadsOnHupWhenStartedUnderNohup() throws Exception {
        // nohup starts the JVM with SIGHUP ignored, and the JVM leaves an ignored signal alone.
        Path nohup = Path.of("/usr/bin/nohup");
        assertThat(Files.isExecutable(nohup)).as("coreutils' nohup").isTrue();
        Path cfg = Files.writeString(dir.resolve("portico.yaml"), config("v1 ", "f1 ", false, "t1"));
        try (PorticoProcess p = PorticoProcess.startUnder(dir, java.util.List.of(nohup.toString()),
                "serve", "-c", cfg.toString())) {
            p.awaitOut("Ready.");
            int live = p.servicePort("live");
            Files.writeString(cfg, config("v2 ", "f1 ", false, "t1"));
            int mark = p.errLines();
            p.signal("HUP");
            p.awaitErr("reload done", mark);
            assertThat(LineClient.ask(live, "a", IO)).isEqualTo("v2 a");
            assertThat(p.terminate(Duration.ofSeconds(20))).isZero();
        }
    }

    @Test
    void interruptStopsWhenStartedWithSigintIgnored() throws Exception {
        // A non-interactive shell starts a background job ("portico serve &" in a script) with
        // SIGINT ignored, and the JVM leaves an ignored signal alone; "kill -INT" must stop it anyway.
        Path sh = Path.of("/bin/sh");
        assertThat(Files.isExecutable(sh)).as("a POSIX shell").isTrue();
        Path cfg = Files.writeString(dir.resolve("i.yaml"), "admin: off\nservices:\n  e: {type: echo, listen: \"127.0.0.1:0\"}\n");
        try (PorticoProcess p = PorticoProcess.startUnder(dir,
                java.util.List.of(sh.toString(), "-c", "trap '' INT; exec \"$@\"", "sh"),
                "serve", "-c", cfg.toString(), "--log-level", "info")) {
            p.awaitOut("Ready.");
            assertThat(LineClient.ask(p.servicePort("e"), "a", IO)).isEqualTo("a");
            p.signal("INT");
            p.awaitErr("stopped", 0);
            assertThat(p.terminate(Duration.ofSeconds(20))).isZero();
        }
    }

    @Test
    void interruptStopsWithStatus0() throws Exception {
        Path cfg = Files.writeString(dir.resolve("p.yaml"), "admin: off\nservices:\n  e: {type: echo, listen: \"127.0.0.1:0\"}\n");
        try (PorticoProcess p = PorticoProcess.start(dir, "serve", "-c", cfg.toString(), "--log-level", "info")) {
            p.awaitOut("Ready.");
            assertThat(LineClient.ask(p.servicePort("e"), "a", IO)).isEqualTo("a");
            p.signal("INT");
            p.awaitErr("stopped", 0);
            assertThat(p.terminate(Duration.ofSeconds(20))).isZero();
        }
    }

    @Test
    void servesAWebSiteAndReconfiguresItLive() throws Exception {
        Path site = Files.createDirectories(dir.resolve("site"));
        Files.writeString(site.resolve("index.html"), "<h1>served</h1>");
        String base = """
                admin: off
                shutdown_grace: 1s
                services:
                  site:
                    type: web
                    listen: 127.0.0.1:0
                    root: site
                """;
        Path cfg = Files.writeString(dir.resolve("web.yaml"), base);
        try (PorticoProcess p = PorticoProcess.start(dir, "serve", "-c", cfg.toString());
             HttpClient http = HttpClient.newHttpClient()) {
            p.awaitOut("Ready.");
            String url = p.find("^  service site \\(web\\): (http://\\S+)").orElseThrow();
            HttpResponse<String> first = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(IO).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(first.body()).isEqualTo("<h1>served</h1>");
            assertThat(first.headers().firstValue("cache-control")).isEmpty();

            Files.writeString(cfg, base + "    expires: {html: 5m}\n");
            int mark = p.errLines();
            p.signal("HUP");
            p.awaitErr("reload done", mark);
            assertThat(p.err().stream().skip(mark)).anyMatch(l -> l.contains("reconfigured: site"));

            HttpResponse<String> second = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(IO).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(second.headers().firstValue("cache-control")).hasValueSatisfying(v -> assertThat(v).contains("max-age=300"));
            assertThat(p.terminate(Duration.ofSeconds(20))).isZero();
        }
    }

    @Test
    void aSecondStopSignalExitsWithoutWaitingForTheGrace() throws Exception {
        Path cfg = Files.writeString(dir.resolve("slow.yaml"),
                "admin: off\nshutdown_grace: 60s\nservices:\n  e: {type: echo, listen: \"127.0.0.1:0\"}\n");
        try (PorticoProcess p = PorticoProcess.start(dir, "serve", "-c", cfg.toString())) {
            p.awaitOut("Ready.");
            LineClient open = LineClient.connect(p.servicePort("e"), IO);
            assertThat(open.ask("held")).isEqualTo("held");
            p.signal("TERM");
            p.awaitErr("stopping (grace 1m)", 0);
            long start = System.nanoTime();
            p.signal("TERM");
            assertThat(p.waitFor(Duration.ofSeconds(20))).isEqualTo(1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
            assertThat(p.err()).anyMatch(l -> l.contains("second stop signal"));
            open.close();
        }
    }

    @Test
    void aSecondProcessOnTheSameAddressFailsUnlessItTakesOverOnPurpose() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Path cfg = Files.writeString(dir.resolve("one.yaml"),
                "admin: off\nworkers: 2\nservices:\n  e: {type: echo, listen: \"127.0.0.1:" + port + "\"}\n");
        try (PorticoProcess first = PorticoProcess.start(dir, "serve", "-c", cfg.toString())) {
            first.awaitOut("Ready.");
            try (PorticoProcess second = PorticoProcess.start(dir, "serve", "-c", cfg.toString())) {
                assertThat(second.waitFor(Duration.ofSeconds(30))).isEqualTo(1);
                assertThat(second.err()).as(second.toString()).contains(
                        "portico: service 'e' (echo) failed to start: address 127.0.0.1:" + port
                                + " is in use by another process");
            }
            // the first one kept every connection
            try (LineClient c = LineClient.connect(port, IO)) {
                assertThat(c.ask("still")).isEqualTo("still");
            }
            try (PorticoProcess upgrade = PorticoProcess.start(dir, "serve", "-c", cfg.toString(), "--listen-handover")) {
                upgrade.awaitOut("Ready.");
                assertThat(first.terminate(Duration.ofSeconds(20))).isZero();
                try (LineClient c = LineClient.connect(port, IO)) {
                    assertThat(c.ask("moved")).isEqualTo("moved");
                }
                assertThat(upgrade.terminate(Duration.ofSeconds(20))).isZero();
            }
        }
    }
}
