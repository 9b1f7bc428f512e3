package dev.portico.core.fs;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The FFM *at() file calls, against a real temporary directory. */
@Timeout(20)
class LinuxFsTest {

    /** Holds both, so that links from one to the other stay inside the temporary directory. */
    @TempDir
    Path base;
    Path dir;
    Path outside;
    private Arena arena;
    private LinuxFs.Scratch s;
    private int dirfd = -1;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(LinuxFs.available(), "Linux with native access only");
        dir = Files.createDirectory(base.resolve("dir"));
        outside = Files.createDirectory(base.resolve("outside"));
        arena = Arena.ofConfined();
        s = new LinuxFs.Scratch(arena);
        dirfd = LinuxFs.openat(s, LinuxFs.AT_FDCWD, dir.toString(), LinuxFs.O_PATH | LinuxFs.O_DIRECTORY | LinuxFs.O_CLOEXEC, 0);
        assertThat(dirfd).as("errno %d", s.errno()).isGreaterThanOrEqualTo(0);
    }

    @AfterEach
    void tearDown() {
        if (arena == null) {
            return;
        }
        if (dirfd >= 0) {
            LinuxFs.close(s, dirfd);
        }
        arena.close();
    }

    private static byte[] b(String name) {
        return LinuxFs.bytes(name);
    }

    @Test
    void createWriteSyncRenameAndStat() throws Exception {
        int fd = LinuxFs.openat(s, dirfd, "tmp", LinuxFs.O_CREAT | LinuxFs.O_EXCL | LinuxFs.O_WRONLY
                | LinuxFs.O_NOFOLLOW | LinuxFs.O_CLOEXEC, 0644);
        assertThat(fd).isGreaterThanOrEqualTo(0);
        MemorySegment buf = s.ioBuffer();
        byte[] data = "hello".getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(data, 0, buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, data.length);
        assertThat(LinuxFs.write(s, fd, buf.address(), data.length)).isEqualTo(5);
        assertThat(LinuxFs.fsync(s, fd)).isZero();
        assertThat(LinuxFs.close(s, fd)).isZero();
        assertThat(LinuxFs.openat(s, dirfd, "tmp", LinuxFs.O_CREAT | LinuxFs.O_EXCL | LinuxFs.O_WRONLY, 0644)).isNegative();
        assertThat(s.errno()).isEqualTo(LinuxFs.EEXIST);

        assertThat(LinuxFs.renameat(s, dirfd, b("tmp"), dirfd, b("final"))).isZero();
        assertThat(Files.readString(dir.resolve("final"))).isEqualTo("hello");
        assertThat(LinuxFs.statx(s, dirfd, b("final"), LinuxFs.AT_SYMLINK_NOFOLLOW)).isZero();
        assertThat(s.type()).isEqualTo(LinuxFs.S_IFREG);
        assertThat(s.size()).isEqualTo(5);
        assertThat(LinuxFs.statx(s, dirfd, b("tmp"), LinuxFs.AT_SYMLINK_NOFOLLOW)).isNegative();
        assertThat(s.errno()).isEqualTo(LinuxFs.ENOENT);
        assertThat(LinuxFs.error(s, "statx tmp")).hasMessageContaining("statx tmp: ").hasMessageContaining("errno 2")
                .extracting(LinuxFs.Failure::errno).isEqualTo(LinuxFs.ENOENT);
    }

    @Test
    void directoriesAndUnlink() throws Exception {
        assertThat(LinuxFs.mkdirat(s, dirfd, b("sub"), 0755)).isZero();
        assertThat(LinuxFs.mkdirat(s, dirfd, b("sub"), 0755)).isNegative();
        assertThat(s.errno()).isEqualTo(LinuxFs.EEXIST);
        assertThat(LinuxFs.statx(s, dirfd, b("sub"), LinuxFs.AT_SYMLINK_NOFOLLOW)).isZero();
        assertThat(s.type()).isEqualTo(LinuxFs.S_IFDIR);
        Files.writeString(dir.resolve("sub/f"), "x");
        assertThat(LinuxFs.unlinkat(s, dirfd, b("sub"), 0)).isNegative();
        assertThat(s.errno()).isEqualTo(LinuxFs.EISDIR);
        assertThat(LinuxFs.unlinkat(s, dirfd, b("sub"), LinuxFs.AT_REMOVEDIR)).isNegative();
        assertThat(s.errno()).isEqualTo(LinuxFs.ENOTEMPTY);
        Files.delete(dir.resolve("sub/f"));
        assertThat(LinuxFs.unlinkat(s, dirfd, b("sub"), LinuxFs.AT_REMOVEDIR)).isZero();
        assertThat(dir.resolve("sub")).doesNotExist();
    }

    @Test
    void linksAreNeverFollowedWhenAskedNotTo() throws Exception {
        Files.writeString(outside.resolve("secret"), "outside");
        Files.createSymbolicLink(dir.resolve("out"), outside);
        assertThat(LinuxFs.statx(s, dirfd, b("out"), LinuxFs.AT_SYMLINK_NOFOLLOW)).isZero();
        assertThat(s.type()).isEqualTo(LinuxFs.S_IFLNK);
        int fd = LinuxFs.openat(s, dirfd, "out", LinuxFs.O_PATH | LinuxFs.O_DIRECTORY | LinuxFs.O_NOFOLLOW | LinuxFs.O_CLOEXEC, 0);
        assertThat(fd).isNegative();
        assertThat(s.errno()).isIn(LinuxFs.ELOOP, LinuxFs.ENOTDIR);
        int created = LinuxFs.openat(s, dirfd, "out", LinuxFs.O_CREAT | LinuxFs.O_EXCL | LinuxFs.O_WRONLY | LinuxFs.O_NOFOLLOW, 0644);
        assertThat(created).isNegative();
        assertThat(s.errno()).isEqualTo(LinuxFs.EEXIST);
        assertThat(LinuxFs.unlinkat(s, dirfd, b("out"), 0)).isZero();
        assertThat(Files.exists(dir.resolve("out"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.readString(outside.resolve("secret"))).isEqualTo("outside");
    }

    @Test
    void openat2StaysBeneathAndRefusesLinks() throws Exception {
        assumeTrue(LinuxFs.openat2Available(), "kernel without openat2");
        Files.createDirectories(dir.resolve("a/b"));
        Files.createSymbolicLink(dir.resolve("a/link"), outside);
        Files.createSymbolicLink(dir.resolve("a/inner"), dir.resolve("a/b"));
        long rules = LinuxFs.RESOLVE_BENEATH | LinuxFs.RESOLVE_NO_SYMLINKS;
        int flags = LinuxFs.O_PATH | LinuxFs.O_DIRECTORY | LinuxFs.O_CLOEXEC;
        int fd = LinuxFs.openat2(s, dirfd, "a/b", flags, rules);
        assertThat(fd).as("errno %d", s.errno()).isGreaterThanOrEqualTo(0);
        LinuxFs.close(s, fd);
        assertThat(LinuxFs.openat2(s, dirfd, "a/link", flags, rules)).isNegative();
        assertThat(s.errno()).isEqualTo(LinuxFs.ELOOP);
        assertThat(LinuxFs.openat2(s, dirfd, "a/inner", flags, rules)).isNegative();
        assertThat(s.errno()).isEqualTo(LinuxFs.ELOOP);
        assertThat(LinuxFs.openat2(s, dirfd, "../" + dir.getFileName(), flags, rules)).isNegative();
        assertThat(s.errno()).isEqualTo(LinuxFs.EXDEV);
        assertThat(LinuxFs.openat2(s, dirfd, "a/missing", flags, rules)).isNegative();
        assertThat(s.errno()).isEqualTo(LinuxFs.ENOENT);
    }

    @Test
    void readsLargeDirectoriesWhole() throws Exception {
        Set<String> expected = new java.util.TreeSet<>();
        for (int i = 0; i < 1500; i++) {
            String name = "entry-" + i + "-" + "x".repeat(40);
            Files.writeString(dir.resolve(name), "");
            expected.add(name);
        }
        Files.createDirectory(dir.resolve("d"));
        Files.createSymbolicLink(dir.resolve("l"), outside);
        expected.add("d");
        expected.add("l");
        int fd = LinuxFs.openat(s, dirfd, ".", LinuxFs.O_RDONLY | LinuxFs.O_DIRECTORY | LinuxFs.O_CLOEXEC, 0);
        assertThat(fd).isGreaterThanOrEqualTo(0);
        List<LinuxFs.Entry> entries = LinuxFs.readDirectory(s, fd);
        LinuxFs.close(s, fd);
        assertThat(entries).isNotNull();
        assertThat(entries.stream().map(e -> new String(e.name(), StandardCharsets.UTF_8)).collect(Collectors.toSet()))
                .isEqualTo(expected);
        LinuxFs.Entry d = entries.stream().filter(e -> e.name().length == 1 && e.name()[0] == 'd').findFirst().orElseThrow();
        assertThat(d.type()).isIn(LinuxFs.DT_DIR, LinuxFs.DT_UNKNOWN);
        // an O_PATH descriptor cannot be read
        assertThat(LinuxFs.readDirectory(s, dirfd)).isNull();
        assertThat(s.errno()).isEqualTo(9);
    }

    @Test
    void overlongNamesFailLikeTheKernelWould() {
        assertThat(LinuxFs.mkdirat(s, dirfd, new byte[LinuxFs.PATH_MAX], 0755)).isNegative();
        assertThat(s.errno()).isEqualTo(LinuxFs.ENAMETOOLONG);
    }
}
