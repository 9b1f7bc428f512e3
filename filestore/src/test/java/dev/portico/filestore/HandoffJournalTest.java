package dev.portico.filestore;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The journal file: records survive a reopen, finished ones are dropped, the size is bounded. */
class HandoffJournalTest {

    @TempDir
    Path dir;

    private static final Duration TTL = Duration.ofDays(7);

    private HandoffJournal open(int max, long now) throws Exception {
        return HandoffJournal.open(dir.resolve("fs.journal"), TTL, max, now, Runnable::run);
    }

    @Test
    void recordsSurviveAReopenAndASupersedingWriteEndsThem() throws Exception {
        try (HandoffJournal j = open(100, 1000)) {
            j.afterWrite(HandoffJournal.Kind.PUT, "*", "/_3fs_0/a", List.of("n1:80"), List.of("n2:80"), 1000)
                    .get(5, TimeUnit.SECONDS);
            j.afterWrite(HandoffJournal.Kind.DELETE, "*", "/_3fs_0/b", List.of("n1:80"), List.of("n3:80"), 1001)
                    .get(5, TimeUnit.SECONDS);
            assertThat(j.size()).isEqualTo(3);
            assertThat(j.touches("/_3fs_0/a")).isTrue();
            assertThat(j.touches("/_3fs_0/c")).isFalse();
        }
        // a crash cut the last record short: it was never acknowledged, and is ignored
        Files.writeString(dir.resolve("fs.journal"), "99 put 5 * n9:80 /_3fs_0/x", java.nio.file.StandardOpenOption.APPEND);
        try (HandoffJournal j = open(100, 2000)) {
            assertThat(j.size()).isEqualTo(3);
            assertThat(j.behind("n2:80", "/_3fs_0/a")).isTrue();
            assertThat(j.tombstone("/_3fs_0/b")).isPresent();
            // a later PUT that reaches n2 ends its record; one that recreates b ends the tombstone
            j.afterWrite(HandoffJournal.Kind.PUT, "*", "/_3fs_0/a", List.of("n1:80", "n2:80"), List.of(), 2000)
                    .get(5, TimeUnit.SECONDS);
            j.afterWrite(HandoffJournal.Kind.PUT, "*", "/_3fs_0/b", List.of("n1:80", "n3:80"), List.of(), 2001)
                    .get(5, TimeUnit.SECONDS);
            assertThat(j.size()).isZero();
            assertThat(j.touches("/_3fs_0/a")).isFalse();
        }
        assertThat(HandoffJournal.load(dir.resolve("fs.journal")).live()).isEmpty();
        // reopening rewrites the file without the finished records
        open(100, 3000).close();
        assertThat(Files.readString(dir.resolve("fs.journal"))).isEqualTo(HandoffJournal.HEADER);
    }

    @Test
    void theFileIsCompactedAndTheRecordsBounded() throws Exception {
        try (HandoffJournal j = open(10, 0)) {
            for (int i = 0; i < 3000; i++) {
                String uri = "/_3fs_0/f" + i;
                j.afterWrite(HandoffJournal.Kind.PUT, "*", uri, List.of("n1:80"), List.of("n2:80"), i).get(5, TimeUnit.SECONDS);
                for (HandoffJournal.Entry e : j.due(10)) {
                    j.done(e);
                }
            }
            j.flush();
            // 3000 records and 3000 done lines were written; compaction keeps the file small
            assertThat(Files.readAllLines(dir.resolve("fs.journal")).size()).isLessThan(2 * HandoffJournal.COMPACT_MIN + 10);
            for (int i = 0; i < 10; i++) {
                j.afterWrite(HandoffJournal.Kind.PUT, "*", "/_3fs_0/g" + i, List.of(), List.of("n2:80"), 1)
                        .get(5, TimeUnit.SECONDS);
            }
            CompletableFuture<Void> full = j.afterWrite(HandoffJournal.Kind.PUT, "*", "/_3fs_0/over", List.of(),
                    List.of("n2:80"), 1);
            assertThatThrownBy(() -> full.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasMessageContaining("full");
            assertThat(j.readRepair("*", "n3:80", "/_3fs_0/over", 1)).isFalse();
            assertThat(j.size()).isEqualTo(10);
        }
    }

    @Test
    void tombstonesExpireAfterTheirTtlAndBlockReadRepairUntilThen() throws Exception {
        try (HandoffJournal j = open(100, 0)) {
            j.afterWrite(HandoffJournal.Kind.DELETE, "*", "/_3fs_0/d", List.of("n1:80", "n2:80"), List.of(), 0)
                    .get(5, TimeUnit.SECONDS);
            assertThat(j.readRepair("*", "n1:80", "/_3fs_0/d", 10)).isFalse();
            j.expire(TTL.toMillis() - 1);
            assertThat(j.tombstone("/_3fs_0/d")).isPresent();
            j.expire(TTL.toMillis() + 1);
            assertThat(j.tombstone("/_3fs_0/d")).isEmpty();
            assertThat(j.readRepair("*", "n1:80", "/_3fs_0/d", 10)).isTrue();
        }
    }
}
