package dev.portico.filestore;

import dev.portico.testing.PorticoExtension;
import dev.portico.testing.RunningService;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The hinted-handoff journal with real WebDAV nodes: a replica that missed a write is on disk
 * before the client hears of it, and gets the write once it is back; deletes leave tombstones
 * that neither read repair nor replay undo; a router restarted replays what is left; a journal
 * that cannot be written acknowledges nothing.
 */
@Timeout(60)
class HandoffTest {

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    @TempDir
    Path dir;

    StoreHarness store;

    @BeforeEach
    void nodes() throws Exception {
        store = new StoreHarness(portico).nodes(dir, 3);
    }

    static FilestoreConfig.Builder fast(FilestoreConfig.Builder b) {
        return b.health(HealthCheckConfig.builder(HealthCheckType.TCP).interval(Duration.ofMillis(100))
                        .downInterval(Duration.ofMillis(100)).rise(1).fall(1).build())
                .handoff(new FilestoreConfig.HandoffSettings(Duration.ofMillis(100), 1000, 1_000_000));
    }

    private List<String> replicas(FilestoreConfig c, String url) {
        StorePath p = StorePath.parse(url, c.prefix());
        return Router.replicas(c, c.pool("localhost"), p.stage(), p.filePath());
    }

    private Path journalFile() {
        return HandoffJournal.file(dir.resolve("state"), "fs");
    }

    private double journalLength() {
        return portico.metrics().registry().get("portico_filestore_handoff_journal").gauge().value();
    }

    @Test
    void aMissedPutIsJournalledBeforeTheAnswerAndReplayedWhenTheNodeIsBack() throws Exception {
        FilestoreConfig c = fast(store.router(dir.resolve("state")).writeQuorum(1)).build();
        String url = "/_3fs_0/dir/handed.txt";
        List<String> holders = replicas(c, url);
        int down = store.allNodes().indexOf(holders.get(1));
        RunningService router = store.start(c);
        store.kill(down);

        HttpResponse<String> put = store.send(router, "PUT", url, "handed off");
        assertThat(put.statusCode()).isEqualTo(201);
        assertThat(put.headers().firstValue("x-copies")).hasValue("1/2");
        // on disk by the time the client heard of it
        assertThat(Files.readString(journalFile())).contains(" put ").contains(" " + holders.get(1) + " " + url + "\n");
        assertThat(journalLength()).isEqualTo(1);
        FilestoreService service = (FilestoreService) router.service();
        assertThat(service.handoffJournalLength()).isEqualTo(1);
        assertThat(service.handoffPending()).isEqualTo(1);
        assertThat(service.handoffJournalProblem()).isEmpty();
        assertThat(store.holds(holders.get(1), url)).isFalse();

        store.restart(down);
        await().atMost(Duration.ofSeconds(20)).until(() -> store.holds(holders.get(1), url));
        assertThat(store.rootOf(holders.get(1)).resolve(url.substring(1))).hasContent("handed off");
        await().atMost(Duration.ofSeconds(10)).until(() -> journalLength() == 0);
        assertThat(portico.metrics().registry().get("portico_filestore_handoff_replays").tag("result", "done")
                .counter().count()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aDeleteLeavesATombstoneThatReadRepairDoesNotUndo() throws Exception {
        FilestoreConfig c = fast(store.router(dir.resolve("state")).writeQuorum(1)).build();
        String url = "/_3fs_0/gone.txt";
        List<String> holders = replicas(c, url);
        RunningService router = store.start(c);
        assertThat(store.send(router, "PUT", url, "to delete").statusCode()).isEqualTo(201);
        int down = store.allNodes().indexOf(holders.get(1));
        store.kill(down);
        HttpResponse<String> del = store.send(router, "DELETE", url, null);
        assertThat(del.statusCode()).isEqualTo(204);
        assertThat(del.headers().firstValue("x-copies")).hasValue("1/2");
        assertThat(Files.readString(journalFile())).contains(" del ").contains(" tomb ");
        assertThat(store.holds(holders.get(0), url)).isFalse();
        assertThat(store.holds(holders.get(1), url)).isTrue();

        // the node comes back with its stale copy: a read that meets the gap queues no copy back
        // to the first node; the replay deletes the stale copy instead
        store.restart(down);
        for (int i = 0; i < 5 && store.holds(holders.get(1), url); i++) {
            store.send(router, "GET", url, null);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> !store.holds(holders.get(1), url));
        assertThat(store.holds(holders.get(0), url)).isFalse();
        // what is left is the tombstone alone
        await().atMost(Duration.ofSeconds(10)).until(() -> journalLength() == 1);
        assertThat(Files.readString(journalFile())).doesNotContain(" put ");

        // writing the file again ends the tombstone
        assertThat(store.send(router, "PUT", url, "again").statusCode()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(10)).until(() -> journalLength() == 0);
    }

    @Test
    void aDeletedFileIsNotServedByAReplicaThatMissedTheDelete() throws Exception {
        // health checks fast, the replay held back: it runs only when the test asks
        FilestoreConfig c = fast(store.router(dir.resolve("state")).writeQuorum(1))
                .handoff(new FilestoreConfig.HandoffSettings(Duration.ofHours(1), 1000, 1_000_000)).build();
        String url = "/_3fs_0/deleted.txt";
        List<String> holders = replicas(c, url);
        RunningService router = store.start(c);
        assertThat(store.send(router, "PUT", url, "deleted soon").statusCode()).isEqualTo(201);
        int down = store.allNodes().indexOf(holders.get(1));
        store.kill(down);
        assertThat(store.send(router, "DELETE", url, null).statusCode()).isEqualTo(204);
        store.restart(down);
        FilestoreService service = (FilestoreService) router.service();
        await().atMost(Duration.ofSeconds(10)).until(() -> service.handoff() != null
                && service.nodes().members().stream().allMatch(b -> b.health() == dev.portico.upstream.HealthState.UP));
        assertThat(store.holds(holders.get(1), url)).as("the stale copy, before the replay").isTrue();

        for (int i = 0; i < 4; i++) {
            assertThat(store.send(router, "GET", url, null).statusCode()).isEqualTo(404);
            assertThat(store.send(router, "HEAD", url, null).statusCode()).isEqualTo(404);
            assertThat(store.send(router, "GET", "/_3fs/deleted.txt", null).statusCode()).isEqualTo(404);
        }

        service.handoff().round();
        assertThat(store.holds(holders.get(1), url)).as("the stale copy, after the replay").isFalse();
        assertThat(store.send(router, "GET", url, null).statusCode()).isEqualTo(404);
        // written again, the file is served again
        assertThat(store.send(router, "PUT", url, "back").statusCode()).isEqualTo(201);
        assertThat(store.send(router, "GET", url, null).body()).isEqualTo("back");
    }

    @Test
    void aReadThatFindsACopyMissingQueuesItsRepair() throws Exception {
        FilestoreConfig c = fast(store.router(dir.resolve("state"))).build();
        String url = "/_3fs_0/repair/me.txt";
        List<String> holders = replicas(c, url);
        RunningService router = store.start(c);
        assertThat(store.send(router, "PUT", url, "keep me").statusCode()).isEqualTo(201);
        Files.delete(store.rootOf(holders.get(0)).resolve(url.substring(1)));
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            assertThat(store.send(router, "GET", url, null).body()).isEqualTo("keep me");
            return store.holds(holders.get(0), url);
        });
        assertThat(store.rootOf(holders.get(0)).resolve(url.substring(1))).hasContent("keep me");
    }

    @Test
    void aRestartedRouterReplaysWhatIsLeft() throws Exception {
        FilestoreConfig c = fast(store.router(dir.resolve("state")).writeQuorum(1)).build();
        String url = "/_3fs_0/restart.txt";
        List<String> holders = replicas(c, url);
        int down = store.allNodes().indexOf(holders.get(0));
        RunningService first = store.start(c);
        store.kill(down);
        assertThat(store.send(first, "PUT", url, "after restart").statusCode()).isEqualTo(201);
        first.service().stop(Duration.ZERO);

        store.restart(down);
        RunningService second = store.start(c);
        await().atMost(Duration.ofSeconds(20)).until(() -> store.holds(holders.get(0), url));
        assertThat(store.rootOf(holders.get(0)).resolve(url.substring(1))).hasContent("after restart");
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.readString(journalFile()).contains(" put ")
                || HandoffJournal.load(journalFile()).live().isEmpty());
        assertThat(store.send(second, "GET", url, null).body()).isEqualTo("after restart");
    }

    @Test
    void aJournalThatCannotBeWrittenAcknowledgesNoDegradedWrite() throws Exception {
        FilestoreConfig c = fast(store.router(dir.resolve("state")).writeQuorum(1)).build();
        String url = "/_3fs_0/unjournalled.txt";
        List<String> holders = replicas(c, url);
        RunningService router = store.start(c);
        // the journal's place is taken by a directory: it cannot be opened for writing
        Files.delete(journalFile());
        Files.createDirectory(journalFile());
        store.kill(store.allNodes().indexOf(holders.get(1)));

        HttpResponse<String> put = store.send(router, "PUT", url, "data");
        assertThat(put.statusCode()).isEqualTo(503);
        assertThat(put.body()).contains("handoff journal").contains("not acknowledged");

        // a write that reached every replica needs no journal and is still acknowledged
        String whole = "/_3fs_0/whole.txt";
        List<String> wholeHolders = replicas(c, whole);
        if (!wholeHolders.contains(holders.get(1))) {
            assertThat(store.send(router, "PUT", whole, "fine").statusCode()).isEqualTo(201);
        }

        // once the journal can be written again, degraded writes are acknowledged again
        Files.delete(journalFile());
        HttpResponse<String> again = store.send(router, "PUT", url, "data");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(204); // the first attempt's copy was replaced
        assertThat(HandoffJournal.load(journalFile()).live()).anyMatch(e -> e.uri().equals(url)
                && e.node().equals(holders.get(1)));
    }
}
