package dev.portico.filestore;

import dev.portico.testing.PorticoExtension;
import dev.portico.testing.RunningService;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code fs check} and {@code fs repair} on a damaged store of real WebDAV nodes. */
@Timeout(60)
class CheckRepairTest {

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    @TempDir
    Path dir;

    StoreHarness store;
    FilestoreConfig config;
    Path state;

    @BeforeEach
    void nodes() throws Exception {
        store = new StoreHarness(portico).nodes(dir, 3);
        state = dir.resolve("state");
        config = HandoffTest.fast(store.router(state).writeQuorum(1)).build();
    }

    private List<String> replicas(String url) {
        StorePath p = StorePath.parse(url, config.prefix());
        return Router.replicas(config, config.pool("localhost"), p.stage(), p.filePath());
    }

    private Path copy(String node, String url) {
        return store.rootOf(node).resolve(url.substring(1));
    }

    private StoreCheck.Result check() throws Exception {
        StoreCheck c = new StoreCheck("fs", config, state);
        try {
            return c.run(null, StoreCheck.Progress.NONE);
        } finally {
            c.close();
        }
    }

    private StoreRepair.Progress repair(boolean deleteMisplaced, Set<String> suspects, boolean fresh) throws Exception {
        StoreRepair r = new StoreRepair("fs", config, state);
        try {
            return r.run(null, new StoreRepair.Options(1000, deleteMisplaced, suspects, fresh), StoreCheck.Progress.NONE,
                    (p, outcome, done, total) -> {
                    });
        } finally {
            r.close();
        }
    }

    private static List<StoreCheck.Problem> of(StoreCheck.Result r, StoreCheck.Kind kind) {
        return r.problems().stream().filter(p -> p.kind() == kind).toList();
    }

    @Test
    void aCleanStoreChecksCleanAndDamageIsFoundAndRepaired() throws Exception {
        RunningService router = store.start(config);
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String url = "/_3fs_0/d" + (i % 3) + "/sub/f" + i + ".txt";
            urls.add(url);
            assertThat(store.send(router, "PUT", url, "file number " + i).statusCode()).isEqualTo(201);
        }
        router.service().stop(Duration.ZERO); // no handoff or read repair from here on: check and repair alone
        StoreCheck.Result clean = check();
        assertThat(clean.problems()).isEmpty();
        assertThat(clean.files()).isEqualTo(12);
        assertThat(clean.copies()).isEqualTo(24);
        assertThat(clean.nodes()).isEqualTo(3);

        // a copy truncated on disk, one deleted, one stray copy on a node placement does not give
        String truncated = urls.get(0);
        String owner = replicas(truncated).get(0);
        try (RandomAccessFile f = new RandomAccessFile(copy(owner, truncated).toFile(), "rw")) {
            f.setLength(4);
        }
        String lost = urls.get(1);
        Files.delete(copy(replicas(lost).get(1), lost));
        String strayUrl = urls.get(2);
        String strayNode = store.allNodes().stream().filter(n -> !replicas(strayUrl).contains(n)).findFirst().orElseThrow();
        Files.createDirectories(copy(strayNode, strayUrl).getParent());
        Files.writeString(copy(strayNode, strayUrl), "file number 2");

        StoreCheck.Result damaged = check();
        assertThat(of(damaged, StoreCheck.Kind.CONFLICT)).singleElement().satisfies(p -> {
            assertThat(p.uri()).isEqualTo(truncated);
            assertThat(p.digests()).containsOnlyKeys(replicas(truncated));
        });
        assertThat(of(damaged, StoreCheck.Kind.MISSING)).singleElement().satisfies(p -> {
            assertThat(p.uri()).isEqualTo(lost);
            assertThat(p.nodes()).containsExactly(replicas(lost).get(1));
            assertThat(p.good()).containsExactly(replicas(lost).get(0));
        });
        assertThat(of(damaged, StoreCheck.Kind.MISPLACED)).singleElement().satisfies(p -> {
            assertThat(p.uri()).isEqualTo(strayUrl);
            assertThat(p.nodes()).containsExactly(strayNode);
        });
        assertThat(damaged.counts()).containsEntry(StoreCheck.Kind.CONFLICT, 1).containsEntry(StoreCheck.Kind.MISSING, 1)
                .containsEntry(StoreCheck.Kind.MISPLACED, 1);
        assertThat(StoreCheck.last(state, "fs")).get().isEqualTo(damaged);
        assertThat(((FilestoreService) router.service()).lastCheck()).get().isEqualTo(damaged);
        assertThat(StoreCheck.json(damaged)).contains("\"kind\" : \"CONFLICT\"").contains(truncated);

        // without more to go on, the conflict and the stray copy are left alone; the missing copy is made
        StoreRepair.Progress first = repair(false, Set.of(), true);
        assertThat(first.finished()).isTrue();
        assertThat(first.repaired()).isEqualTo(1);
        assertThat(first.skipped()).isEqualTo(2);
        assertThat(copy(replicas(lost).get(1), lost)).hasContent("file number 1");
        assertThat(copy(owner, truncated)).hasContent("file");
        assertThat(copy(strayNode, strayUrl)).exists();

        // the node whose disk is suspect loses the conflict; the stray copy goes
        StoreRepair.Progress second = repair(true, Set.of(owner), true);
        assertThat(second.repaired()).isEqualTo(2);
        assertThat(((FilestoreService) router.service()).repairProgress()).get().isEqualTo(second);
        assertThat(copy(owner, truncated)).hasContent("file number 0");
        assertThat(copy(strayNode, strayUrl)).doesNotExist();
        assertThat(check().problems()).isEmpty();
    }

    @Test
    void theJournalOrdersDifferingCopiesAndTombstonesAreNotBroughtBack() throws Exception {
        String changed = "/_3fs_0/changed.txt";
        String deleted = "/_3fs_0/deleted.txt";
        RunningService router = store.start(config);
        assertThat(store.send(router, "PUT", changed, "version 1").statusCode()).isEqualTo(201);
        assertThat(store.send(router, "PUT", deleted, "doomed").statusCode()).isEqualTo(201);
        // one replica of each misses the next write; the router stops before it can hand them off
        String behind = replicas(changed).get(1);
        store.kill(store.allNodes().indexOf(behind));
        String keeps = replicas(deleted).contains(behind) ? behind : null;
        assertThat(store.send(router, "PUT", changed, "version 2").statusCode()).isEqualTo(204);
        assertThat(store.send(router, "DELETE", deleted, null).statusCode()).isEqualTo(204);
        router.service().stop(Duration.ZERO);
        store.restart(store.allNodes().indexOf(behind));

        StoreCheck.Result r = check();
        assertThat(of(r, StoreCheck.Kind.DIFFERING)).singleElement().satisfies(p -> {
            assertThat(p.uri()).isEqualTo(changed);
            assertThat(p.nodes()).containsExactly(behind);
            assertThat(p.good()).containsExactly(replicas(changed).get(0));
        });
        assertThat(of(r, StoreCheck.Kind.CONFLICT)).isEmpty();
        if (keeps != null) {
            assertThat(of(r, StoreCheck.Kind.DELETED)).singleElement().satisfies(p -> {
                assertThat(p.uri()).isEqualTo(deleted);
                assertThat(p.nodes()).containsExactly(keeps);
            });
        }

        StoreRepair.Progress done = repair(false, Set.of(), true);
        assertThat(done.failed()).isZero();
        assertThat(copy(behind, changed)).hasContent("version 2");
        for (String n : store.allNodes()) {
            assertThat(store.holds(n, deleted)).as(n).isFalse();
        }
        assertThat(check().problems()).isEmpty();
    }

    @Test
    void anInterruptedRepairContinuesItsPlan() throws Exception {
        RunningService router = store.start(config);
        List<String> urls = List.of("/_3fs_0/r/a.txt", "/_3fs_0/r/b.txt", "/_3fs_0/r/c.txt");
        for (String u : urls) {
            assertThat(store.send(router, "PUT", u, u).statusCode()).isEqualTo(201);
        }
        router.service().stop(Duration.ZERO);
        Files.delete(copy(replicas(urls.get(0)).get(0), urls.get(0)));
        Files.delete(copy(replicas(urls.get(1)).get(0), urls.get(1)));

        StoreRepair interrupted = new StoreRepair("fs", config, state);
        try {
            assertThatThrownBy(() -> interrupted.run(null, new StoreRepair.Options(1000, false, Set.of(), false),
                    StoreCheck.Progress.NONE, (p, outcome, done, total) -> {
                        throw new IllegalStateException("stopped after " + done);
                    })).hasMessage("stopped after 1");
        } finally {
            interrupted.close();
        }
        assertThat(StoreRepair.last(state, "fs")).get().satisfies(p -> {
            assertThat(p.finished()).isFalse();
            assertThat(p.total()).isEqualTo(2);
        });
        // damage done after the plan was made is not in it: the resumed repair does not walk again
        Files.delete(copy(replicas(urls.get(2)).get(0), urls.get(2)));
        StoreRepair.Progress resumed = repair(false, Set.of(), false);
        assertThat(resumed.finished()).isTrue();
        assertThat(resumed.total()).isEqualTo(2);
        assertThat(copy(replicas(urls.get(0)).get(0), urls.get(0))).hasContent(urls.get(0));
        assertThat(copy(replicas(urls.get(1)).get(0), urls.get(1))).hasContent(urls.get(1));
        assertThat(store.holds(replicas(urls.get(2)).get(0), urls.get(2))).isFalse();
        // a finished plan is not resumed: the next repair checks again and finds the new damage
        repair(false, Set.of(), false);
        assertThat(copy(replicas(urls.get(2)).get(0), urls.get(2))).hasContent(urls.get(2));
    }
}
