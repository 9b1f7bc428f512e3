package dev.portico.admin.ssh;

import dev.portico.core.net.HostPort;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelShell;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.EnumSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The console over a real SSH connection from MINA's client. */
@Timeout(60)
class SshConsoleTest {

    @TempDir
    Path dir;
    FakePlane plane = new FakePlane();
    SshConsole console;
    SshClient client;
    KeyPair allowed;

    @BeforeEach
    void setUp() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(256);
        allowed = gen.generateKeyPair();
        Path keys = dir.resolve("authorized_keys");
        Files.writeString(keys, PublicKeyEntry.toString(allowed.getPublic()) + " operator@test\n");
        console = SshConsole.start(new HostPort("127.0.0.1", 0), keys, dir.resolve("host.key"), plane);
        client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier((session, address, key) -> true);
        client.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        client.stop();
        console.close();
    }

    private ClientSession login(KeyPair key) throws Exception {
        ClientSession s = client.connect("operator", "127.0.0.1", console.port()).verify(Duration.ofSeconds(10)).getSession();
        s.addPublicKeyIdentity(key);
        s.auth().verify(Duration.ofSeconds(10));
        return s;
    }

    @Test
    void execRunsOneCommand() throws Exception {
        try (ClientSession s = login(allowed)) {
            assertThat(s.executeRemoteCommand("show services")).contains("shop (lb)").contains("127.0.0.1:9001");
            s.executeRemoteCommand("disable 127.0.0.1:9002");
            assertThat(plane.groups.get("main").get(1).admin()).isEqualTo("disabled");
            assertThatThrownBy(() -> s.executeRemoteCommand("disable nowhere:1")).hasMessageContaining("no host");
        }
    }

    @Test
    void interactiveShellWithCompletion() throws Exception {
        try (ClientSession s = login(allowed); ChannelShell shell = s.createShellChannel()) {
            PipedOutputStream keyboard = new PipedOutputStream();
            shell.setIn(new PipedInputStream(keyboard));
            ByteArrayOutputStream screen = new ByteArrayOutputStream();
            shell.setOut(screen);
            shell.setErr(OutputStream.nullOutputStream());
            shell.open().verify(Duration.ofSeconds(10));
            await().atMost(Duration.ofSeconds(10)).until(() -> screen.toString(StandardCharsets.UTF_8).contains("portico> "));
            type(keyboard, "swi\t");
            await().atMost(Duration.ofSeconds(10)).until(() -> screen.toString(StandardCharsets.UTF_8).contains("switch-group "));
            type(keyboard, "shop spa\t\r");
            await().atMost(Duration.ofSeconds(10)).until(() -> plane.active.equals("spare"));
            type(keyboard, "show services\r");
            await().atMost(Duration.ofSeconds(10)).until(() -> screen.toString(StandardCharsets.UTF_8).contains("group spare (active)"));
            type(keyboard, "quit\r");
            shell.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofSeconds(10));
            assertThat(screen.toString(StandardCharsets.UTF_8)).contains("bye");
        }
    }

    @Test
    void unknownKeysAndPasswordsAreRefused() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(256);
        KeyPair stranger = gen.generateKeyPair();
        assertThatThrownBy(() -> login(stranger)).isInstanceOf(Exception.class);
        ClientSession s = client.connect("operator", "127.0.0.1", console.port()).verify(Duration.ofSeconds(10)).getSession();
        s.addPasswordIdentity("guess");
        assertThatThrownBy(() -> s.auth().verify(Duration.ofSeconds(10))).isInstanceOf(Exception.class);
        s.close();
    }

    @Test
    void missingKeysFileIsAClearError() {
        assertThatThrownBy(() -> SshConsole.start(new HostPort("127.0.0.1", 0), dir.resolve("nope"), dir.resolve("k"), plane))
                .hasMessageContaining("authorized_keys file").hasMessageContaining("does not exist");
    }

    private static void type(OutputStream keyboard, String text) throws Exception {
        keyboard.write(text.getBytes(StandardCharsets.UTF_8));
        keyboard.flush();
    }
}
