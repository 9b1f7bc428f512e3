package dev.portico.web.dav;

import dev.portico.core.fs.LinuxFs;
import dev.portico.web.files.PathResolver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The walk below the root and the tree deletion, with openat2 and with the walk by components
 * (kernels before 5.6, or a seccomp filter that hides openat2).
 */
@Timeout(60)
class BeneathTest {

    /** Holds root and outside, so that links between them stay inside the temporary directory. */
    @TempDir
    Path base;
    Path root;
    Path outside;

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(LinuxFs.available(), "Linux with native access only");
        root = Files.createDirectory(base.resolve("root"));
        outside = Files.createDirectory(base.resolve("outside"));
        Files.createDirectories(root.resolve("a/b"));
        Files.writeString(root.resolve("a/file"), "f");
        Files.createDirectories(outside.resolve("b"));
        Files.writeString(outside.resolve("b/secret"), "outside");
        Files.createSymbolicLink(root.resolve("a/out"), outside);
        Files.createSymbolicLink(root.resolve("a/alias"), root.resolve("a/b"));
    }

    private static Beneath beneath(boolean openat2) {
        if (openat2) {
            assumeTrue(LinuxFs.openat2Available(), "kernel without openat2");
        }
        return new Beneath(openat2);
    }

    private int status(Beneath b, String... segments) {
        try (Arena arena = Arena.ofConfined()) {
            LinuxFs.Scratch s = new LinuxFs.Scratch(arena);
            int fd = b.open(s, root, List.of(segments));
            LinuxFs.close(s, fd);
            return 200;
        } catch (PathResolver.Refused r) {
            return r.status();
        } catch (LinuxFs.Failure f) {
            return Offload.status(f.errno());
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void opensCollectionsAndRefusesEveryLinkOnTheWay(boolean openat2) {
        Beneath b = beneath(openat2);
        assertThat(b.usesOpenat2()).isEqualTo(openat2);
        assertThat(status(b)).isEqualTo(200);
        assertThat(status(b, "a", "b")).isEqualTo(200);
        assertThat(status(b, "a", "out")).isEqualTo(403);
        assertThat(status(b, "a", "out", "b")).isEqualTo(403);
        // a link is refused even when it stays inside the root
        assertThat(status(b, "a", "alias")).isEqualTo(403);
        assertThat(status(b, "a", "missing")).isEqualTo(409);
        assertThat(status(b, "a", "missing", "b")).isEqualTo(409);
        assertThat(status(b, "a", "file")).isEqualTo(409);
        assertThat(status(b, "a", "file", "x")).isEqualTo(409);
        assertThat(status(b, "a", "..")).isEqualTo(400);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void treeDeletionRemovesLinksAndNeverFollowsThem(boolean openat2) throws Exception {
        Beneath b = beneath(openat2);
        Files.createDirectories(root.resolve("t/x/y"));
        Files.writeString(root.resolve("t/x/y/f"), "f");
        Files.createSymbolicLink(root.resolve("t/x/out"), outside);
        Files.createSymbolicLink(root.resolve("t/x/secret"), outside.resolve("b/secret"));
        try (Arena arena = Arena.ofConfined()) {
            LinuxFs.Scratch s = new LinuxFs.Scratch(arena);
            int fd = b.open(s, root, List.of());
            try {
                assertThat(TreeDeleter.delete(s, fd, LinuxFs.bytes("t"))).isTrue();
                assertThat(TreeDeleter.delete(s, fd, LinuxFs.bytes("t"))).isFalse();
            } finally {
                LinuxFs.close(s, fd);
            }
        }
        assertThat(root.resolve("t")).doesNotExist();
        assertThat(Files.readString(outside.resolve("b/secret"))).isEqualTo("outside");
    }

    @Test
    void treeDeletionTakesNamesThatAreNotUtf8() throws Exception {
        Beneath b = beneath(false);
        Files.createDirectories(root.resolve("t"));
        byte[] latin1 = {'c', 'a', 'f', (byte) 0xE9};
        try (Arena arena = Arena.ofConfined()) {
            LinuxFs.Scratch s = new LinuxFs.Scratch(arena);
            int fd = b.open(s, root, List.of("t"));
            int file = LinuxFs.openat(s, fd, latin1, LinuxFs.O_CREAT | LinuxFs.O_WRONLY | LinuxFs.O_CLOEXEC, 0644);
            assertThat(file).isGreaterThanOrEqualTo(0);
            LinuxFs.close(s, file);
            LinuxFs.close(s, fd);
            fd = b.open(s, root, List.of());
            try {
                assertThat(TreeDeleter.delete(s, fd, LinuxFs.bytes("t"))).isTrue();
            } finally {
                LinuxFs.close(s, fd);
            }
        }
        assertThat(root.resolve("t")).doesNotExist();
    }

    @Test
    void treesDeeperThanTheLimitAreRefused() throws Exception {
        Path deep = root.resolve("deep");
        Path p = deep;
        for (int i = 0; i <= TreeDeleter.MAX_DEPTH; i++) {
            p = p.resolve("d");
        }
        Files.createDirectories(p);
        try (Arena arena = Arena.ofConfined()) {
            LinuxFs.Scratch s = new LinuxFs.Scratch(arena);
            int fd = beneath(false).open(s, root, List.of());
            try {
                assertThatThrownBy(() -> TreeDeleter.delete(s, fd, LinuxFs.bytes("deep")))
                        .isInstanceOfSatisfying(PathResolver.Refused.class, r -> assertThat(r.status()).isEqualTo(403));
            } finally {
                LinuxFs.close(s, fd);
            }
        }
    }

    /**
     * The walk and the writes after it, while another thread swaps a directory for a link to
     * outside and back: every create, directory and deletion stays inside the root.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aLinkSwappedInDuringTheWalkIsNeverFollowed(boolean openat2) throws Exception {
        Beneath b = beneath(openat2);
        Path box = root.resolve("a/b");
        Path hidden = root.resolve("a/b.real");
        for (int i = 0; i < 20; i++) {
            Files.writeString(outside.resolve("b/victim-" + i), "keep");
        }
        Set<String> before = listing(outside);
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        int refused = 0;
        try {
            Future<?> swapper = threads.submit(() -> {
                while (running.get()) {
                    Files.move(box, hidden, StandardCopyOption.ATOMIC_MOVE);
                    Files.createSymbolicLink(box, outside.resolve("b"));
                    Thread.onSpinWait();
                    Files.delete(box);
                    Files.move(hidden, box, StandardCopyOption.ATOMIC_MOVE);
                }
                return null;
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            try (Arena arena = Arena.ofConfined()) {
                LinuxFs.Scratch s = new LinuxFs.Scratch(arena);
                for (int i = 0; i < 20_000 && System.nanoTime() < deadline; i++) {
                    int fd;
                    try {
                        fd = b.open(s, root, List.of("a", "b"));
                    } catch (PathResolver.Refused r) {
                        refused++;
                        continue;
                    }
                    try {
                        int f = LinuxFs.openat(s, fd, "new-" + i, LinuxFs.O_CREAT | LinuxFs.O_EXCL | LinuxFs.O_WRONLY
                                | LinuxFs.O_NOFOLLOW | LinuxFs.O_CLOEXEC, 0644);
                        if (f >= 0) {
                            LinuxFs.close(s, f);
                        }
                        LinuxFs.mkdirat(s, fd, LinuxFs.bytes("dir-" + i), 0755);
                        TreeDeleter.delete(s, fd, LinuxFs.bytes("victim-" + (i % 20)));
                    } finally {
                        LinuxFs.close(s, fd);
                    }
                }
            }
            running.set(false);
            swapper.get(10, TimeUnit.SECONDS);
        } finally {
            running.set(false);
            threads.shutdownNow();
        }
        assertThat(Files.isDirectory(box, LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(listing(outside)).as("outside after %d refused walks", refused).isEqualTo(before);
    }

    private static Set<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p).toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
