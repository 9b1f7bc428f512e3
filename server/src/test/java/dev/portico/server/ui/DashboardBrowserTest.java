package dev.portico.server.ui;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portico.lb.LbService;
import dev.portico.server.Cli;
import dev.portico.server.Daemon;
import dev.portico.server.Logging;
import dev.portico.server.Main;
import dev.portico.server.control.Api;
import dev.portico.server.control.NamedBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboard in Debian's headless Chromium, against a running daemon with real backends on
 * loopback. Set {@code -Dportico.ui.screenshots=DIR} to keep screenshots (light and dark) there.
 */
class DashboardBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @BeforeAll
    static void needsChromium() {
        assumeChromium();
    }

    /** Skips the calling test class unless Debian's chromium and chromium-driver are installed. */
    static void assumeChromium() {
        assumeTrue(Files.isExecutable(CHROMIUM), "needs Debian's chromium (" + CHROMIUM + ")");
        assumeTrue(Files.isExecutable(CHROMEDRIVER), "needs Debian's chromium-driver (" + CHROMEDRIVER + ")");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void hostsGoRedWhenTheirBackendDiesAndTheButtonsGoThroughTheApi() throws Exception {
        try (NamedBackend one = new NamedBackend("one"); NamedBackend two = new NamedBackend("two");
             NamedBackend three = new NamedBackend("three")) {
            Path config = config(one, two);
            try (Portico p = serve(config); Browser b = new Browser(dir.resolve("profile"))) {
                String base = p.adminUrl();
                assertThat(p.banner()).contains("dashboard: " + base + "/ (token as configured)").doesNotContain("writer-token");
                Api api = new Api(base, "writer-token");
                LbService lb = (LbService) p.daemon.supervisor().running().getFirst().service();
                assertThat(Api.fetch("http://127.0.0.1:" + lb.port() + "/")).isIn("one", "two");
                b.driver.get(base + "/#token=writer-token");
                WebElement rowOne = b.waitFor(host("front", one));
                WebElement rowTwo = b.waitFor(host("front", two));
                b.until(d2 -> "up".equals(rowOne.getDomAttribute("data-health"))
                        && "up".equals(rowTwo.getDomAttribute("data-health")));
                assertThat(rowOne.getDomAttribute("class")).contains("health-up");
                assertThat(b.driver.getCurrentUrl()).isEqualTo(base + "/");
                assertThat(b.js("return sessionStorage.getItem('portico.admin.token')")).isEqualTo("writer-token");
                assertThat(b.text("#status")).startsWith("live · updated ");
                b.until(d2 -> rowOne.findElement(By.cssSelector("td:nth-child(6)")).getText().equals("1")
                        || rowTwo.findElement(By.cssSelector("td:nth-child(6)")).getText().equals("1"));
                assertThat(b.driver.findElement(By.cssSelector("section[data-service='site'] .endpoints")).getText())
                        .startsWith("http://127.0.0.1:");

                // Killed between two checks: the next connections try it, fail over to the
                // other host, and mark it down at once with the reason.
                one.close();
                String lbUrl = "http://127.0.0.1:" + lb.port() + "/";
                assertThat(List.of(Api.fetch(lbUrl), Api.fetch(lbUrl))).containsExactly("two", "two");
                b.until(d2 -> "down".equals(rowOne.getDomAttribute("data-health")));
                assertThat(rowOne.getDomAttribute("class")).contains("health-down");
                assertThat(rowOne.findElement(By.cssSelector(".health")).getText()).isEqualTo("down");
                b.until(d2 -> !rowOne.findElement(By.cssSelector("td.failure .reason")).getText().isBlank());
                assertThat(rowOne.findElement(By.cssSelector("td.failure .when")).getText()).endsWith("s ago");
                assertThat(rowOne.findElement(By.cssSelector("td:nth-child(7)")).getText()).isNotEqualTo("0");
                assertThat(b.text("#summary")).contains("1 down");
                assertThat(rowTwo.getDomAttribute("data-health")).isEqualTo("up");

                rowTwo.findElement(By.cssSelector("button[data-action='disable']")).click();
                await().atMost(WAIT).untilAsserted(() ->
                        assertThat(apiHost(api, "main", two).get("admin").asText()).isEqualTo("disabled"));
                b.until(d2 -> "disabled".equals(rowTwo.getDomAttribute("data-admin")));
                assertThat(rowTwo.findElement(By.cssSelector("button[data-action='disable']"))
                        .getDomAttribute("aria-pressed")).isEqualTo("true");
                b.screenshot("dashboard");

                WebElement weightTwo = rowTwo.findElement(By.cssSelector("input.weight"));
                weightTwo.sendKeys(Keys.chord(Keys.CONTROL, "a"), "4", Keys.ENTER);
                await().atMost(WAIT).untilAsserted(() ->
                        assertThat(apiHost(api, "main", two).get("weight").asInt()).isEqualTo(4));
                new Select(b.driver.findElement(By.cssSelector("section[data-service='front'] select.scheduler")))
                        .selectByValue("leastconns");
                await().atMost(WAIT).untilAsserted(() -> assertThat(api.get("/api/v1/services/front").json()
                        .get("scheduler").asText()).isEqualTo("leastconns"));

                WebElement form = b.driver.findElement(By.cssSelector("section[data-service='front'] form.add-host"));
                form.findElement(By.name("address")).sendKeys(three.address());
                WebElement weight = form.findElement(By.name("weight"));
                weight.clear();
                weight.sendKeys("3");
                form.findElement(By.cssSelector("button[type='submit']")).click();
                await().atMost(WAIT).untilAsserted(() ->
                        assertThat(apiHost(api, "main", three).get("weight").asInt()).isEqualTo(3));
                b.waitFor(host("front", three));

                assertThat(b.driver.findElement(By.id("notice")).isDisplayed()).isFalse();
                b.driver.findElement(By.id("save")).click();
                b.until(d2 -> d2.findElement(By.id("notice")).isDisplayed());
                assertThat(b.driver.findElement(By.id("notice")).getDomAttribute("data-kind")).isEqualTo("ok");
                assertThat(b.text("#notice-text")).startsWith("Saved the running config to " + config)
                        .contains("the previous file is kept as " + config + "-");
                assertThat(Files.readString(config)).contains(three.address());
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aReadOnlyTokenSeesTheRefusalInlineAndALostServerShowsAsDisconnected() throws Exception {
        try (NamedBackend one = new NamedBackend("one"); NamedBackend two = new NamedBackend("two")) {
            try (Portico p = serve(config(one, two)); Browser b = new Browser(dir.resolve("profile"))) {
                String base = p.adminUrl();
                Api api = new Api(base, "writer-token");
                b.driver.get(base + "/");
                b.until(d2 -> d2.findElement(By.id("signin")).isDisplayed());
                assertThat(b.driver.findElement(By.id("status")).getDomAttribute("data-state")).isEqualTo("signed-out");
                b.driver.findElement(By.id("token")).sendKeys("not-a-token");
                b.driver.findElement(By.cssSelector("#signin-form button[type='submit']")).click();
                b.until(d2 -> d2.findElement(By.id("signin-error")).isDisplayed());
                assertThat(b.text("#signin-error")).isEqualTo("That token was not accepted.");

                b.driver.findElement(By.id("token")).sendKeys("reader-token");
                b.driver.findElement(By.cssSelector("#signin-form button[type='submit']")).click();
                WebElement rowOne = b.waitFor(host("front", one));
                assertThat(b.driver.findElement(By.id("signin")).isDisplayed()).isFalse();

                rowOne.findElement(By.cssSelector("button[data-action='drain']")).click();
                By error = By.cssSelector("section[data-service='front'] .svc-msg .msg.error");
                b.until(d2 -> d2.findElement(error).isDisplayed());
                assertThat(b.driver.findElement(error).getText()).contains("read-only");
                assertThatThrownBy(() -> b.driver.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
                assertThat(apiHost(api, "main", one).get("admin").asText()).isEqualTo("enabled");
                assertThat(rowOne.getDomAttribute("data-admin")).isEqualTo("enabled");

                assertThat(p.stop()).as(p.err()).isZero();
                b.until(d2 -> "disconnected".equals(d2.findElement(By.id("status")).getDomAttribute("data-state")));
                assertThat(b.text("#status")).startsWith("disconnected since ").endsWith("retrying");
                assertThat(b.driver.findElement(By.tagName("body")).getDomAttribute("class")).contains("stale");
                assertThat(rowOne.isDisplayed()).isTrue();
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theQuickStartPrintsALinkThatSignsIn() throws Exception {
        try (NamedBackend one = new NamedBackend("one")) {
            try (Portico p = new Portico("lb", "--listen", "127.0.0.1:0", "--backend", one.address(),
                    "--health", "tcp", "--admin", "127.0.0.1:0", "--workers", "1");
                 Browser b = new Browser(dir.resolve("profile"))) {
                Matcher m = Pattern.compile("dashboard: (\\S+)").matcher(p.banner());
                assertThat(m.find()).as(p.banner()).isTrue();
                String link = m.group(1);
                assertThat(link).startsWith(p.adminUrl() + "/#token=");
                b.driver.get(link);
                WebElement row = b.waitFor(host("lb", one));
                b.until(d2 -> !"unknown".equals(row.getDomAttribute("data-health")));
                assertThat(b.driver.getCurrentUrl()).isEqualTo(p.adminUrl() + "/");
                assertThat(b.driver.findElement(By.id("signin")).isDisplayed()).isFalse();
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theCachePanelOfAProxyShowsItsStatsAndItsFormPurgesAUrl() throws Exception {
        com.sun.net.httpserver.HttpServer origin = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 50);
        origin.createContext("/", ex -> {
            byte[] body = "cached page".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Cache-Control", "max-age=600");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        origin.start();
        try {
            Path config = Files.writeString(dir.resolve("portico.yaml"), """
                    workers: 1
                    admin:
                      listen: 127.0.0.1:0
                      tokens:
                        - {token: writer-token, role: write}
                    services:
                      edge:
                        type: proxy
                        listen: [127.0.0.1:0]
                        backends: [127.0.0.1:%d]
                        cache: {memory_size: 1m}
                    """.formatted(origin.getAddress().getPort()));
            try (Portico p = serve(config); Browser b = new Browser(dir.resolve("profile"))) {
                dev.portico.proxy.ProxyService proxy = (dev.portico.proxy.ProxyService) p.daemon.supervisor().running()
                        .getFirst().service();
                String url = "http://127.0.0.1:" + proxy.port() + "/page";
                assertThat(Api.fetch(url)).isEqualTo("cached page");
                assertThat(Api.fetch(url)).isEqualTo("cached page");
                b.driver.get(p.adminUrl() + "/#token=writer-token");
                WebElement panel = b.waitFor(By.cssSelector("section[data-service='edge'] .cache"));
                b.until(d2 -> panel.isDisplayed()
                        && panel.findElement(By.cssSelector("[data-counter='hits'] b")).getText().equals("1"));
                assertThat(panel.findElement(By.cssSelector("[data-tier='memory'] b")).getText()).isEqualTo("1");
                assertThat(panel.findElement(By.cssSelector("[data-counter='misses'] b")).getText()).isEqualTo("1");
                b.screenshot("cache");

                WebElement form = panel.findElement(By.cssSelector("form.purge"));
                form.findElement(By.name("target")).sendKeys(url);
                form.findElement(By.cssSelector("button[type='submit']")).click();
                b.until(d2 -> d2.findElement(By.id("notice")).isDisplayed());
                assertThat(b.text("#notice-text")).isEqualTo("Purged 1 URL from edge.");
                assertThat(proxy.cache().stats().memoryEntries()).isZero();
                b.until(d2 -> panel.findElement(By.cssSelector("[data-tier='memory'] b")).getText().equals("0"));
            }
        } finally {
            origin.stop(0);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static By host(String service, NamedBackend backend) {
        return By.cssSelector("section[data-service='" + service + "'] tr.host[data-host='" + backend.address() + "']");
    }

    private static JsonNode apiHost(Api api, String group, NamedBackend backend) throws Exception {
        Api.Answer services = api.get("/api/v1/services");
        assertThat(services.status()).isEqualTo(200);
        for (JsonNode s : services.json().get("services")) {
            for (JsonNode g : s.get("groups")) {
                if (g.get("name").asText().equals(group)) {
                    for (JsonNode h : g.get("hosts")) {
                        if (h.get("address").asText().equals(backend.address())) {
                            return h;
                        }
                    }
                }
            }
        }
        throw new AssertionError("no host " + backend.address() + " in group " + group + ": " + services.json());
    }

    private Path config(NamedBackend... backends) throws Exception {
        Files.createDirectories(dir.resolve("www"));
        List<String> hosts = java.util.Arrays.stream(backends).map(NamedBackend::address).toList();
        return Files.writeString(dir.resolve("portico.yaml"), """
                workers: 1
                admin:
                  listen: 127.0.0.1:0
                  tokens:
                    - {token: writer-token, role: write}
                    - {token: reader-token, role: read}
                services:
                  front:
                    type: lb
                    listen: [127.0.0.1:0]
                    health: {type: tcp, interval: 500ms, timeout: 500ms, rise: 1, fall: 2, down_interval: 500ms}
                    groups:
                      main: [%s]
                  site:
                    type: web
                    listen: 127.0.0.1:0
                    root: www
                """.formatted(String.join(", ", hosts)));
    }

    /** {@code portico serve -c config}, running. */
    private static Portico serve(Path config) throws Exception {
        return new Portico("serve", "-c", config.toString());
    }

    /** The CLI running in-process on a thread of its own, until {@link #stop()}. */
    static final class Portico implements AutoCloseable {

        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final CompletableFuture<Integer> exit = new CompletableFuture<>();
        final Daemon daemon;

        Portico(String... args) throws Exception {
            CompletableFuture<Daemon> started = new CompletableFuture<>();
            Cli cli = new Cli(Main.builtinTypes(), new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8), new Logging(), false, started::complete);
            Thread.ofPlatform().name("portico-cli").daemon().start(() -> {
                try {
                    exit.complete(new Main(cli).run(args));
                } catch (Throwable t) {
                    exit.completeExceptionally(t);
                }
            });
            CompletableFuture.anyOf(started, exit).get(60, TimeUnit.SECONDS);
            if (!started.isDone()) {
                throw new AssertionError("portico exited with " + exit.get() + "\n" + err());
            }
            daemon = started.get();
        }

        String banner() {
            return out.toString(StandardCharsets.UTF_8);
        }

        String err() {
            return err.toString(StandardCharsets.UTF_8);
        }

        String adminUrl() {
            return daemon.admin().baseUrl();
        }

        /** Stops the daemon as SIGTERM would and waits for the exit status. */
        int stop() throws Exception {
            daemon.requestStop();
            return exit.get(60, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws Exception {
            if (!exit.isDone()) {
                assertThat(stop()).as(err()).isZero();
            }
        }
    }

    /** Headless Chromium through Debian's chromedriver; nothing is looked up or downloaded. */
    static final class Browser implements AutoCloseable {

        final ChromeDriverService service;
        final ChromeDriver driver;

        Browser(Path profile) throws Exception {
            this(profile, new String[0]);
        }

        /** @param extraArguments more Chromium flags, such as a certificate to trust */
        Browser(Path profile, String... extraArguments) throws Exception {
            Files.createDirectories(profile);
            service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(CHROMEDRIVER.toFile())
                    .usingAnyFreePort()
                    .build();
            ChromeOptions options = new ChromeOptions();
            options.setBinary(CHROMIUM.toFile());
            options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--user-data-dir=" + profile, "--window-size=1440,900");
            options.addArguments(extraArguments);
            ChromeDriver d;
            try {
                d = new ChromeDriver(service, options);
            } catch (RuntimeException e) {
                service.stop();
                throw e;
            }
            driver = d;
        }

        /** Waits for a condition; on timeout the failure carries the page as it was. */
        <T> T until(java.util.function.Function<WebDriver, T> condition) {
            try {
                return new WebDriverWait(driver, WAIT, Duration.ofMillis(100)).until(condition);
            } catch (TimeoutException e) {
                String page = String.valueOf(js("return document.documentElement.outerHTML"));
                throw new AssertionError(e.getMessage().lines().findFirst().orElse("timed out")
                        + "\n--- page\n" + page, e);
            }
        }

        WebElement waitFor(By by) {
            return until(d -> {
                List<WebElement> found = d.findElements(by);
                return found.isEmpty() ? null : found.getFirst();
            });
        }

        String text(String css) {
            return driver.findElement(By.cssSelector(css)).getText();
        }

        Object js(String script) {
            return ((JavascriptExecutor) driver).executeScript(script);
        }

        /** Saves light and dark screenshots under {@code -Dportico.ui.screenshots}, when set. */
        void screenshot(String name) throws Exception {
            String to = System.getProperty("portico.ui.screenshots");
            if (to == null || to.isBlank()) {
                return;
            }
            Path target = Files.createDirectories(Path.of(to));
            Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), target.resolve(name + "-light.png"),
                    StandardCopyOption.REPLACE_EXISTING);
            driver.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
                    List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
            Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), target.resolve(name + "-dark.png"),
                    StandardCopyOption.REPLACE_EXISTING);
            driver.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
                    List.of(Map.of("name", "prefers-color-scheme", "value", "light"))));
        }

        @Override
        public void close() {
            try {
                driver.quit();
            } finally {
                service.stop();
            }
        }
    }
}
