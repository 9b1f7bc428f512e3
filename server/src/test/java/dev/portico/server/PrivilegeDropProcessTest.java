package dev.portico.server;

import dev.portico.server.os.Privileges;
import dev.portico.testing.LineClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code user:} in a process started as root: every thread of the process ends with the user's
 * ids, a reload still binds a port below 1024 (the event loops kept CAP_NET_BIND_SERVICE), and a
 * log directory the user cannot write is an error at start. Runs as root only; the test makes its
 * own system user with {@code useradd} and removes it afterwards.
 */
@Timeout(180)
class PrivilegeDropProcessTest {

    private static final Duration IO = Duration.ofSeconds(10);

    private final String user = "portico-t" + ProcessHandle.current().pid() % 100000;
    private Path dir;
    private int uid;
    private int gid;

    @BeforeEach
    void makeUser() throws Exception {
        assumeTrue(Privileges.supported() && Privileges.effectiveUid() == 0, "runs as root on Linux only");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/useradd")), "needs useradd");
        run("/usr/sbin/useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", user);
        Privileges.Account account = Privileges.lookup(user, null);
        uid = account.uid();
        gid = account.gid();
        // The process as the user must read its config and its class path: /root is closed to it.
        dir = Files.createTempDirectory("portico-privileges-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void removeUser() throws Exception {
        if (dir != null) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted((a, b) -> b.compareTo(a)).toList()) {
                    Files.deleteIfExists(p);
                }
            }
            run("/usr/sbin/userdel", user);
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        }
    }

    /** The test class path with every jar linked (or copied) into a directory the user can read. */
    private String readableClassPath() throws IOException {
        Path jars = Files.createDirectories(dir.resolve("lib"));
        List<String> out = new ArrayList<>();
        int n = 0;
        for (String entry : PorticoProcess.testClassPath().split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isDirectory(p) || !Files.exists(p)) {
                out.add(entry);
                continue;
            }
            Path copy = jars.resolve((n++) + "-" + p.getFileName());
            try {
                Files.createLink(copy, p);
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(p, copy);
            }
            out.add(copy.toString());
        }
        return String.join(File.pathSeparator, out);
    }

    private void ownedByUser(Path p) throws IOException {
        UserPrincipal owner = p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user);
        Files.setOwner(p, owner);
    }

    private static String config(String accessLog, String extra) {
        return """
                workers: 2
                shutdown_grace: 1s
                admin: off
                user: %s
                access_log: %s
                services:
                  live:
                    type: echo
                    listen: 127.0.0.1:0
                    prefix: "v1 "
                %s""".formatted("USER", accessLog, extra);
    }

    /** A port below 1024 that is free now. */
    private static int freeLowPort() {
        for (int port = 1000; port > 900; port--) {
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // try the next one
            }
        }
        throw new AssertionError("no free port between 901 and 1000");
    }

    @Test
    void everyThreadRunsAsTheUserAndAReloadStillBindsALowPort() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        ownedByUser(logs);
        Path cfg = dir.resolve("portico.yaml");
        Files.writeString(cfg, config(logs.resolve("access.log").toString(), "").replace("USER", user));
        try (PorticoProcess p = PorticoProcess.start(dir, Map.of(), readableClassPath(), "serve", "-c", cfg.toString())) {
            p.awaitOut("Ready.");
            assertThat(LineClient.ask(p.servicePort("live"), "a", IO)).isEqualTo("v1 a");

            List<Path> tasks;
            try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(p.pid()), "task"))) {
                tasks = s.toList();
            }
            assertThat(tasks).hasSizeGreaterThan(5);
            String ids = uid + "\t" + uid + "\t" + uid + "\t" + uid;
            String gids = gid + "\t" + gid + "\t" + gid + "\t" + gid;
            for (Path task : tasks) {
                List<String> status = Files.readAllLines(task.resolve("status"));
                String name = status.getFirst();
                assertThat(status).as("thread %s", name).contains("Uid:\t" + ids, "Gid:\t" + gids);
            }

            int low = freeLowPort();
            Files.writeString(cfg, config(logs.resolve("access.log").toString(),
                    "  low:\n    type: echo\n    listen: 127.0.0.1:" + low + "\n    prefix: \"low \"\n").replace("USER", user));
            int mark = p.errLines();
            p.signal("HUP");
            p.awaitErr("reload done", mark);
            assertThat(LineClient.ask(low, "b", IO)).as("%s", p).isEqualTo("low b");
            assertThat(p.terminate(Duration.ofSeconds(30))).isZero();
        }
    }

    @Test
    void aLogDirectoryTheUserCannotWriteIsAnErrorAtStart() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("root-logs"));
        Path cfg = dir.resolve("portico.yaml");
        Files.writeString(cfg, config(logs.resolve("access.log").toString(), "").replace("USER", user));
        try (PorticoProcess p = PorticoProcess.start(dir, Map.of(), readableClassPath(), "serve", "-c", cfg.toString())) {
            assertThat(p.waitFor(Duration.ofSeconds(60))).isNotZero();
            assertThat(String.join("\n", p.err()))
                    .contains("user " + user + " cannot use what the config names")
                    .contains("access_log: directory " + logs + " is not writable by " + user);
        }
    }

    @Test
    void anUnknownUserIsAConfigProblemWithItsLine() throws Exception {
        Path cfg = dir.resolve("portico.yaml");
        Files.writeString(cfg, config("off", "").replace("USER", "no-such-user-here"));
        try (PorticoProcess p = PorticoProcess.start(dir, "check", "-c", cfg.toString())) {
            assertThat(p.waitFor(Duration.ofSeconds(60))).isNotZero();
            assertThat(p.toString()).contains("portico.yaml:4").contains("user 'no-such-user-here' does not exist");
        }
    }
}
