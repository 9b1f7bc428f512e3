package dev.portico.server.config;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portico.core.config.ConfigException;
import dev.portico.core.config.Location;
import dev.portico.server.Main;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Fuzz target for the config loader: any bytes as a config file, read the way {@code portico
 * serve} and {@code portico check} read one ({@link ServerConfigReader} over the core
 * {@code YamlLoader}, with every service type of the build parsing its section).
 *
 * <p>Oracle: the bytes give a config, or a {@link ConfigException} whose every problem names the
 * file and a line; no other exception, and no problem left without its place; bytes that are not
 * UTF-8 are refused as such. A service type that
 * throws without a message (the reader turns any exception into "cannot read service") is a
 * finding too.
 *
 * <p>Run by the build for a few seconds with {@code JAZZER_FUZZ=1} (the parent pom's {@code fuzz}
 * execution) and for a million inputs by {@code bench/fuzz.sh}.
 */
class ConfigFuzz {

    private static final ServerConfigReader reader = new ServerConfigReader(Main.builtinTypes());
    private static Path dir;
    private static Path file;

    @BeforeAll
    static void makeDir() throws IOException {
        dir = Files.createTempDirectory("portico-config-fuzz");
        file = dir.resolve("portico.yaml");
    }

    @AfterAll
    static void removeDir() throws IOException {
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }

    static Stream<Arguments> seeds() {
        return Stream.of("""
                workers: 3
                transport: nio
                log_level: WARN
                admin:
                  listen: 127.0.0.1:9999
                  token: abc
                access_log: off
                shutdown_grace: 1500ms
                services:
                  site:
                    type: web
                    listen: [127.0.0.1:8080]
                    root: .
                    hosts: {example.com: .}
                    index: [index.html, index.htm]
                    mime_types: {md: text/markdown}
                    expires: {html: 5m, png: 7d}
                    cache: {max_file_size: 64k, max_size: 64m}
                    gzip: {enabled: true, types: [html, css, js, -xml], min_size: 1k, max_size: 100m, level: 6}
                    precompressed: [br, gzip]
                    symlinks: inside
                    limits: {request_line: 8k, header_size: 16k, headers: 100, body: 100m, connections: 10000}
                    timeouts: {header: 10s, idle: 75s, body: 60s}
                    backlog: 4096
                """, """
                services:
                  front:
                    type: lb
                    listen: [0.0.0.0:8000]
                    groups:
                      main: [10.0.0.1:80, {address: 10.0.0.2:80, weight: 3, state: draining}]
                      standby: [10.0.1.1:80]
                    active_group: main
                    scheduler: leastconns,sticky
                    health: {type: http, path: /health, interval: 2s, fall: 3, rise: 2}
                    retries: all
                    timeouts: {connect: 5s, idle: 5m}
                    proxy_protocol: v2
                    accept_proxy: [10.0.0.0/8, "2001:db8::/32"]
                    splice: auto
                  udp:
                    type: lb
                    protocol: udp
                    listen: [127.0.0.1:5353]
                    backends: [10.0.0.1:53]
                    udp: {session_timeout: 60s, max_sessions: 100000}
                """, """
                services:
                  edge:
                    type: proxy
                    listen: [0.0.0.0:8080]
                    pools:
                      "*": {backends: [10.0.0.1:80, 10.0.0.2:80], scheduler: roundrobin, health: "http:/health"}
                      api.example.com: {backends: [10.0.1.1:8000], scheduler: urlhash}
                    trusted_proxies: [10.0.0.0/8]
                    timeouts: {connect: 5s, first_byte: 60s, idle: 60s}
                    cache:
                      memory_size: 256m
                      default_ttl: {"/static/*": 1h}
                      stale_if_error: 1d
                """, """
                services:
                  names:
                    type: dns
                    listen: [127.0.0.1:5300]
                """, "a: &x [1, 2]\nb: *x\nc: !!binary aGk=\n? [k]\n: v\n", "services: {x: {type: web, type: lb}}\n")
                .map(s -> s.getBytes(StandardCharsets.UTF_8))
                .map(b -> Arguments.of((Object) b));
    }

    /** Inputs that reach the YAML parser's own limits and the file reader's decoding. */
    static Stream<Arguments> edges() {
        return Stream.of("[".repeat(1200).getBytes(StandardCharsets.US_ASCII),
                        new byte[] {'a', ':', ' ', (byte) 0xff, (byte) 0xfe, '\n'},
                        "a:\n\tb: 1\n".getBytes(StandardCharsets.US_ASCII),
                        new byte[] {'a', ':', ' ', 0, '\n'},
                        "workers: 99999999999999999999999\n".getBytes(StandardCharsets.US_ASCII),
                        "a: &a [*a]\n".getBytes(StandardCharsets.US_ASCII))
                .map(b -> Arguments.of((Object) b));
    }

    @DictionaryEntries({"services:", "type: ", "web", "lb", "proxy", "dns", "listen: ", "127.0.0.1:80", "[::1]:53",
        "admin:", "token_file: ", "workers: ", "transport: ", "shutdown_grace: ", "1h30m", "64k", "10m", "- ",
        "{", "}", "[", "]", ": ", "&a ", "*a", "!!", "<<: ", "---", "...", "%YAML 1.1", "'", "\"", "|", ">", "~", "null"})
    @MethodSource({"seeds", "edges"})
    @FuzzTest(maxDuration = "5s")
    void givesAConfigOrProblemsWithTheirPlace(byte[] data) throws IOException {
        Files.write(file, data);
        try {
            require(reader.read(file) != null, "no config and no exception");
        } catch (ConfigException e) {
            require(!e.problems().isEmpty(), "a ConfigException without problems");
            require(utf8(data) || e.problems().getFirst().message().startsWith("not UTF-8"),
                    "bytes that are not UTF-8 gave '" + e.problems().getFirst() + "'");
            for (ConfigException.Problem p : e.problems()) {
                Location at = p.where();
                require(at.file().equals(file.toString()) && at.line() >= 1,
                        "a problem without file:line: '" + p + "'");
                require(!(p.message().startsWith("cannot read service") && p.message().endsWith(": null")),
                        "a service type failed without a message: '" + p + "'");
            }
        }
    }

    private static boolean utf8(byte[] data) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(data));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** A plain check, as in the other fuzz targets. */
    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
