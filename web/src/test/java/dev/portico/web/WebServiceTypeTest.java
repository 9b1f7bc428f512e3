package dev.portico.web;

import dev.portico.core.config.ConfigException;
import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class WebServiceTypeTest {

    @TempDir
    Path dir;

    private WebConfig parse(String yaml, Problems problems) throws Exception {
        Path file = dir.resolve("portico.yaml");
        Files.writeString(file, yaml);
        ConfigNode node = new YamlLoader().load(file);
        Section s = Section.of(node, "services.site", problems);
        return new WebServiceType().parse("site", s);
    }

    @Test
    void readsEveryKey() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        Files.createDirectories(dir.resolve("other"));
        Files.writeString(dir.resolve("404.html"), "gone");
        Problems problems = new Problems();
        WebConfig c = parse("""
                type: web
                listen: [127.0.0.1:8081, "[::1]:8082"]
                root: www
                hosts: {example.test: other}
                index: index.html,default.htm
                mime_types: {md: text/markdown}
                expires: {html: 5m, png: 1d}
                cache: {max_file_size: 32k, max_size: 10m}
                gzip: {enabled: on, types: [html, -css], min_size: 2k, max_size: 5m, level: 4}
                precompressed: [gzip]
                webdav: {enabled: true, writers: [10.0.0.0/8], users: {alice: secret}}
                symlinks: follow
                limits: {request_line: 4k, header_size: 8k, headers: 50, body: 1m, connections: 500}
                timeouts: {header: 5s, idle: 30s, body: 20s, send: 15s}
                access_log: logs/access.log
                error_pages: {404: 404.html}
                backlog: 128
                http2: {h2c: true, max_concurrent_streams: 64, max_header_list_size: 32k, initial_window_size: 1m,
                        max_frame_size: 32k, max_resets: 50, reset_window: 10s, max_queued_control_frames: 500}
                """, problems);
        assertThat(problems.list()).isEmpty();
        assertThat(c.http().http2()).isEqualTo(new dev.portico.web.h2.Http2Options(true, 64, 32 * 1024, 1 << 20,
                32 * 1024, 50, Duration.ofSeconds(10), 500));
        assertThat(c.listen()).hasSize(2);
        assertThat(c.listen().get(1).host()).isEqualTo("::1");
        assertThat(c.root()).isEqualTo(dir.resolve("www"));
        assertThat(c.hosts()).containsKey("example.test");
        assertThat(c.index()).containsExactly("index.html", "default.htm");
        assertThat(c.expires()).containsEntry("html", Duration.ofMinutes(5)).containsEntry("png", Duration.ofDays(1));
        assertThat(c.cacheMaxFileSize()).isEqualTo(32 * 1024);
        assertThat(c.gzip().enabled()).isTrue();
        assertThat(c.gzip().level()).isEqualTo(4);
        assertThat(c.gzip().types()).containsExactly("html", "-css");
        assertThat(c.precompressed()).containsExactly("gzip");
        assertThat(c.webdav().enabled()).isTrue();
        assertThat(c.webdav().users()).containsEntry("alice", "secret");
        assertThat(c.followSymlinksOutside()).isTrue();
        assertThat(c.http().maxRequestLine()).isEqualTo(4096);
        assertThat(c.http().maxConnections()).isEqualTo(500);
        assertThat(c.http().idleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.http().sendTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(c.accessLog()).isEqualTo(dir.resolve("logs/access.log"));
        assertThat(c.errorPages()).containsKey(404);
        assertThat(c.backlog()).isEqualTo(128);
    }

    @Test
    void problemsNameFileLineAndSuggest() throws Exception {
        Problems problems = new Problems();
        parse("""
                type: web
                root: /definitely/not/here
                idnex: [a.html]
                cache: {max_file_size: lots}
                gzip: {levle: 3}
                limits: {headers: -1}
                symlinks: maybe
                timeouts: {send: 0s}
                http2: {h2c: maybe, max_frame_size: 1k, max_concurent_streams: 3}
                """, problems);
        ConfigException e = new ConfigException(problems.list());
        String msg = e.getMessage();
        assertThat(msg).contains("portico.yaml:2:").contains("is not a directory");
        assertThat(msg).contains("portico.yaml:3:1: unknown key 'idnex'").contains("did you mean 'index'?");
        assertThat(msg).contains("'lots' is not a size");
        assertThat(msg).contains("unknown key 'levle'").contains("did you mean 'level'?");
        assertThat(msg).contains("out of range");
        assertThat(msg).contains("'maybe' is not one of");
        assertThat(msg).contains("portico.yaml:8:").contains("'services.site.timeouts.send' must be more than 0s");
        assertThat(msg).contains("portico.yaml:9:").contains("'services.site.http2.max_frame_size' must be 16k to 16m-1")
                .contains("did you mean 'max_concurrent_streams'?");
    }
}
