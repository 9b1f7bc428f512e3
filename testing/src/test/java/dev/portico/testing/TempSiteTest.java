package dev.portico.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TempSiteTest {

    @TempDir
    Path dir;

    @Test
    void writesFilesAndDirectories() throws Exception {
        TempSite site = new TempSite(dir)
                .file("index.html", "<h1>hi</h1>")
                .file("a/b/big.txt", 1000)
                .dir("empty")
                .lastModified("index.html", Instant.parse("2020-01-02T03:04:05Z"));

        assertThat(site.read("index.html")).isEqualTo("<h1>hi</h1>");
        assertThat(Files.size(site.path("a/b/big.txt"))).isEqualTo(1000);
        assertThat(site.read("a/b/big.txt")).startsWith("abcdefghijklmnopqrstuvwxyzabc");
        assertThat(site.path("empty")).isDirectory();
        assertThat(Files.getLastModifiedTime(site.path("index.html")).toInstant())
                .isEqualTo(Instant.parse("2020-01-02T03:04:05Z"));
    }

    @Test
    void refusesPathsOutsideTheRoot() {
        TempSite site = new TempSite(dir.resolve("root"));
        assertThatThrownBy(() -> site.file("../escape.txt", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside the site root");
        assertThat(dir.resolve("escape.txt")).doesNotExist();
    }
}
