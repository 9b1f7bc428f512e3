package dev.portico.filestore;

import dev.portico.testing.PorticoExtension;
import dev.portico.testing.RunningService;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The failure tests with real WebDAV nodes that are killed (listener and connections
 * closed at once) and started again on the same port over the same directory: one of three nodes
 * dies during a stream of 1,000 PUTs with redundancy 2; and a store grows a stage.
 */
@Timeout(90)
class NodeOutageTest {

    private static final int FILES = 1000;
    private static final int CLIENTS = 4;
    /** Why each write that failed failed, for the assertion messages. */
    private final Map<String, String> failures = new ConcurrentHashMap<>();

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    @TempDir
    Path dir;

    StoreHarness store;

    @BeforeEach
    void nodes() throws Exception {
        store = new StoreHarness(portico).nodes(dir, 3);
    }

    private List<String> replicas(FilestoreConfig c, String url) {
        StorePath p = StorePath.parse(url, c.prefix());
        return Router.replicas(c, c.pool("localhost"), p.stage(), p.filePath());
    }

    private static String url(int i) {
        return "/_3fs_0/stream/" + (i % 10) + "/file-" + i + ".txt";
    }

    private static String body(int i) {
        return "content of file " + i;
    }

    /**
     * PUTs {@link #FILES} files from {@link #CLIENTS} clients; node {@code victim} is killed once
     * {@code killAfter} writes have been answered.
     *
     * @return the status each URL was answered with (0: the request itself failed)
     */
    private Map<String, Integer> stream(RunningService router, int victim, int killAfter) throws Exception {
        Map<String, Integer> answers = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger answered = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            clients.add(Thread.ofVirtual().start(() -> {
                for (int i = next.getAndIncrement(); i < FILES; i = next.getAndIncrement()) {
                    int status;
                    try {
                        HttpResponse<String> r = store.send(router, "PUT", url(i), body(i));
                        status = r.statusCode();
                        if (status >= 300) {
                            failures.put(url(i), r.body());
                        }
                    } catch (IOException | InterruptedException e) {
                        status = 0;
                        failures.put(url(i), e.toString());
                    }
                    answers.put(url(i), status);
                    answered.incrementAndGet();
                }
            }));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> answered.get() >= killAfter);
        store.kill(victim);
        for (Thread t : clients) {
            t.join(Duration.ofSeconds(60));
        }
        assertThat(answers).hasSize(FILES);
        return answers;
    }

    private static Set<String> acknowledged(Map<String, Integer> answers) {
        Set<String> out = new java.util.TreeSet<>();
        answers.forEach((u, s) -> {
            if (s >= 200 && s < 300) {
                out.add(u);
            }
        });
        return out;
    }

    private static int index(String url) {
        return Integer.parseInt(url.substring(url.lastIndexOf('-') + 1, url.length() - 4));
    }

    private boolean holdsContent(String node, String url) {
        try {
            return store.holds(node, url) && java.nio.file.Files.readString(store.rootOf(node)
                    .resolve(url.substring(1))).equals(body(index(url)));
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void withQuorumOneEveryAcknowledgedFileStaysReadableAndTheHandoffRefillsTheNode() throws Exception {
        FilestoreConfig c = HandoffTest.fast(store.router(dir.resolve("state")).writeQuorum(1)).build();
        RunningService router = store.start(c);
        int victim = 1;
        String victimNode = store.node(victim);

        Map<String, Integer> answers = stream(router, victim, 300);
        Set<String> acked = acknowledged(answers);
        // every write had a live replica: all are acknowledged, but for a write in flight to the
        // node as it died, which may be refused (never acknowledged wrongly)
        assertThat(acked.size()).as(() -> "not acknowledged: " + failures).isGreaterThanOrEqualTo(FILES - CLIENTS);
        assertThat(failures.keySet()).allMatch(u -> replicas(c, u).contains(victimNode));

        // while the node is down, every acknowledged file reads back whole
        for (String u : acked) {
            HttpResponse<String> r = store.send(router, "GET", u, null);
            assertThat(r.statusCode()).as(u).isEqualTo(200);
            assertThat(r.body()).as(u).isEqualTo(body(index(u)));
        }
        long missedByVictim = acked.stream().filter(u -> replicas(c, u).contains(victimNode)
                && !store.holds(victimNode, u)).count();
        assertThat(missedByVictim).as("writes the dead node missed").isPositive();

        // back on the same port with the same disk: the handoff gives it every file it missed
        store.restart(victim);
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).until(() ->
                acked.stream().allMatch(u -> replicas(c, u).stream().allMatch(n -> holdsContent(n, u))));
        await().atMost(Duration.ofSeconds(10)).until(() ->
                portico.metrics().registry().get("portico_filestore_handoff_journal").gauge().value() == 0);
    }

    @Test
    void withQuorumTwoNoAcknowledgedWriteHasFewerThanTwoCopies() throws Exception {
        FilestoreConfig c = HandoffTest.fast(store.router(dir.resolve("state"))).writeQuorum(2).build();
        RunningService router = store.start(c);
        int victim = 2;
        String victimNode = store.node(victim);

        Map<String, Integer> answers = stream(router, victim, 300);
        Set<String> acked = acknowledged(answers);
        for (String u : acked) {
            for (String n : replicas(c, u)) {
                assertThat(holdsContent(n, u)).as(u + " on " + n).isTrue();
            }
        }
        // the node's death did refuse writes: those that needed it after it died
        long refused = answers.entrySet().stream().filter(e -> e.getValue() < 200 || e.getValue() >= 300).count();
        assertThat(refused).isPositive();
        assertThat(answers.entrySet().stream().filter(e -> e.getValue() < 200 || e.getValue() >= 300)
                .allMatch(e -> replicas(c, e.getKey()).contains(victimNode))).isTrue();
    }

    @Test
    void aNewStageTakesNewFilesWhileOldUrlsStayOnTheOldNodes() throws Exception {
        store.nodes(dir, 1);
        TreeMap<Integer, List<String>> first = new TreeMap<>();
        first.put(0, List.of(store.node(0), store.node(1)));
        FilestoreConfig before = store.router(dir.resolve("state")).pool(new StorePool("*", first, 0)).build();
        RunningService router = store.start(before);
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> put = store.send(router, "PUT", "/_3fs/old/" + i, "old " + i);
            assertThat(put.headers().firstValue("location")).hasValue("/_3fs_0/old/" + i);
        }
        router.service().stop(Duration.ZERO);

        TreeMap<Integer, List<String>> grown = new TreeMap<>(first);
        grown.put(1, List.of(store.node(2), store.node(3)));
        FilestoreConfig after = store.router(dir.resolve("state")).pool(new StorePool("*", grown, 1)).build();
        RunningService expanded = store.start(after);
        for (int i = 0; i < 20; i++) {
            // an old URL still goes to stage 0's nodes
            assertThat(replicas(after, "/_3fs_0/old/" + i)).containsExactlyInAnyOrderElementsOf(
                    replicas(before, "/_3fs_0/old/" + i));
            assertThat(store.send(expanded, "GET", "/_3fs_0/old/" + i, null).body()).isEqualTo("old " + i);
            HttpResponse<String> put = store.send(expanded, "PUT", "/_3fs/new/" + i, "new " + i);
            assertThat(put.statusCode()).isEqualTo(201);
            assertThat(put.headers().firstValue("location")).hasValue("/_3fs_1/new/" + i);
            assertThat(store.holds(store.node(2), "/_3fs_1/new/" + i)).isTrue();
            assertThat(store.holds(store.node(3), "/_3fs_1/new/" + i)).isTrue();
            assertThat(store.holds(store.node(0), "/_3fs_1/new/" + i)).isFalse();
            assertThat(store.holds(store.node(1), "/_3fs_1/new/" + i)).isFalse();
        }
        for (int i = 0; i < 20; i++) {
            assertThat(store.send(expanded, "GET", "/_3fs/old/" + i, null).body()).isEqualTo("old " + i);
            assertThat(store.send(expanded, "GET", "/_3fs/new/" + i, null).body()).isEqualTo("new " + i);
        }
        // a changed old file keeps its stage
        HttpResponse<String> changed = store.send(expanded, "PUT", "/_3fs/old/3", "old 3, changed");
        assertThat(changed.headers().firstValue("location")).hasValue("/_3fs_0/old/3");
    }
}
