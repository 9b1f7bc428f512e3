package dev.portico.web;

import dev.portico.core.net.Cidr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A local user who can write in the document root swaps a directory for a symlink to a directory
 * outside the root, over and over, while a client writes into that directory. No write may land
 * outside and nothing outside may be deleted, whatever the timing.
 */
@Timeout(60)
class WebDavSymlinkRaceTest {

    private static final int REQUESTS = 2_000;
    private static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(8);
    private static final int CLIENTS = 4;
    private static final int VICTIMS = 50;
    private static final Set<Integer> ANSWERS = Set.of(201, 204, 403, 404, 405, 409);

    @TempDir
    Path root;
    @TempDir
    Path outside;
    WebHarness web;

    @BeforeEach
    void setUp() throws Exception {
        Files.createDirectories(root.resolve("dav/box"));
        for (int i = 0; i < VICTIMS; i++) {
            Files.writeString(outside.resolve("victim-" + i), "keep me");
        }
        Files.createDirectory(outside.resolve("victim-dir"));
        Files.writeString(outside.resolve("victim-dir/inner"), "keep me too");
        web = new WebHarness();
        web.start(WebConfig.builder().root(root)
                .webdav(new WebConfig.WebDav(true, List.of(Cidr.parse("127.0.0.0/8")), Map.of(), "race")));
    }

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    @Test
    void swappingADirectoryForALinkNeverLetsWritesOut() throws Exception {
        Set<String> before = listing(outside);
        Path box = root.resolve("dav/box");
        Path hidden = root.resolve("dav/box.real");
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong swaps = new AtomicLong();
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        long deadline = System.nanoTime() + MAX_NANOS;
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        try {
            Future<?> swapper = threads.submit(() -> {
                while (running.get()) {
                    Files.move(box, hidden, StandardCopyOption.ATOMIC_MOVE);
                    Files.createSymbolicLink(box, outside);
                    Thread.onSpinWait();
                    Files.delete(box);
                    Files.move(hidden, box, StandardCopyOption.ATOMIC_MOVE);
                    swaps.incrementAndGet();
                }
                return null;
            });
            List<Future<?>> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                clients.add(threads.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < REQUESTS && System.nanoTime() < deadline) {
                        HttpResponse<String> r = switch (i % 4) {
                            case 0, 1 -> web.send("PUT", "/dav/box/put-" + i, "escaped " + i);
                            case 2 -> web.send("MKCOL", "/dav/box/col-" + i, null);
                            default -> i % 8 == 3
                                    ? web.send("DELETE", "/dav/box/victim-" + (i % VICTIMS), null)
                                    : web.send("DELETE", "/dav/box/victim-dir", null);
                        };
                        statuses.computeIfAbsent(r.statusCode(), s -> new AtomicInteger()).incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : clients) {
                f.get(40, TimeUnit.SECONDS);
            }
            running.set(false);
            swapper.get(10, TimeUnit.SECONDS);
        } finally {
            running.set(false);
            threads.shutdownNow();
        }

        assertThat(swaps.get()).isPositive();
        assertThat(Files.isDirectory(box, LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(listing(outside)).as("outside the root after %d swaps, answers %s", swaps.get(), statuses)
                .isEqualTo(before);
        for (int i = 0; i < VICTIMS; i++) {
            assertThat(Files.readString(outside.resolve("victim-" + i))).isEqualTo("keep me");
        }
        assertThat(statuses.keySet()).as("answers %s", statuses).isSubsetOf(ANSWERS);
        assertThat(tempFiles(root)).isEmpty();
    }

    private static Set<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p).toString()).collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }

    private static List<Path> tempFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".portico-upload-")).toList();
        }
    }
}
