package dev.portico.web;

import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import dev.portico.core.config.YamlWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class WebConfigYamlTest {

    @TempDir
    Path dir;

    private final WebServiceType type = new WebServiceType();

    private WebConfig parse(String yaml) throws Exception {
        Path file = dir.resolve("portico-" + System.nanoTime() + ".yaml");
        Files.writeString(file, yaml);
        Problems problems = new Problems();
        WebConfig c = type.parse("site", Section.of(new YamlLoader().load(file), "services.site", problems));
        assertThat(problems.list()).isEmpty();
        return c;
    }

    private String write(WebConfig c) {
        return new YamlWriter().write(type.toYaml(c).orElseThrow());
    }

    @Test
    void everyKeyRoundTrips() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        Files.createDirectories(dir.resolve("other"));
        Files.writeString(dir.resolve("404.html"), "gone");
        WebConfig c = parse("""
                type: web
                listen: [127.0.0.1:8081, "[::1]:8082"]
                root: www
                hosts: {example.test: other}
                index: [index.html, default.htm]
                mime_types: {md: text/markdown}
                expires: {html: 5m, png: 1d}
                cache: {max_file_size: 32k, max_size: 10m}
                gzip: {enabled: on, types: [html, -css], min_size: 2k, max_size: 5m, level: 4, cache_dir: gz}
                precompressed: [gzip]
                webdav: {enabled: true, writers: [10.0.0.0/8], users: {alice: "s3cr:et"}, realm: files}
                symlinks: follow
                limits: {request_line: 4k, header_size: 8k, headers: 50, body: 1m, connections: 500}
                timeouts: {header: 5s, idle: 30s, body: 20s, send: 15s}
                access_log: logs/access.log
                error_pages: {404: 404.html}
                backlog: 64
                http2: {h2c: true, max_concurrent_streams: 64, max_header_list_size: 32k, initial_window_size: 1m,
                        max_frame_size: 32k, max_resets: 50, reset_window: 10s, max_queued_control_frames: 500}
                """);
        assertThat(c.http().http2().h2c()).isTrue();
        assertThat(parse(write(c))).isEqualTo(c);
    }

    @Test
    void defaultsAreLeftOut() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        WebConfig c = parse("type: web\nlisten: 127.0.0.1:8080\nroot: www\ngzip: {enabled: true}\n");
        assertThat(write(c)).isEqualTo("""
                type: web
                listen:
                  - 127.0.0.1:8080
                root: %s
                gzip:
                  enabled: true
                """.formatted(dir.resolve("www").toAbsolutePath()));
        assertThat(parse(write(c))).isEqualTo(c);
    }

    @Test
    void gzipTypesWithGzipOffKeepTheOffSwitch() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        WebConfig c = parse("type: web\nroot: www\ngzip: {enabled: false, types: [html]}\n");
        assertThat(c.gzip().enabled()).isFalse();
        assertThat(parse(write(c))).isEqualTo(c);
    }
}
