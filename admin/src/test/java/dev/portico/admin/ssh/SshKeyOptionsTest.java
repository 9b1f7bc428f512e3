package dev.portico.admin.ssh;

import ch.qos.logback.classic.Level;
import dev.portico.testing.LogCapture;
import dev.portico.core.net.HostPort;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelShell;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The options of {@code authorized_keys} lines, over real SSH connections: MINA's client, and the
 * OpenSSH {@code ssh} client where it is installed.
 */
@Timeout(60)
class SshKeyOptionsTest {

    /** The logger of {@code AuthorizedKeys}, which names the file and line of a key it cannot use. */
    private static final String KEYS_LOG = "dev.portico.admin.ssh.AuthorizedKeys";

    @TempDir
    Path dir;
    FakePlane plane = new FakePlane();
    SshConsole console;
    SshClient client;
    Path keys;
    /** Loggers silenced until the server has stopped. */
    final List<LogCapture> quiet = new ArrayList<>();

    @BeforeEach
    void setUp() {
        keys = dir.resolve("authorized_keys");
        client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier((session, address, key) -> true);
        client.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        client.stop();
        if (console != null) {
            console.close();
        }
        quiet.forEach(LogCapture::close);
    }

    /** Starts the console with these authorized_keys lines; what it warns about is returned. */
    private List<String> start(String... lines) throws Exception {
        Files.writeString(keys, String.join("\n", lines) + "\n");
        try (LogCapture log = new LogCapture(KEYS_LOG); LogCapture top = new LogCapture(SshConsole.class.getName())) {
            console = SshConsole.start(new HostPort("127.0.0.1", 0), keys, dir.resolve("host.key"), plane);
            List<String> warnings = new ArrayList<>(log.messages(Level.WARN));
            warnings.addAll(top.messages(Level.WARN));
            return warnings;
        }
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(256);
        return gen.generateKeyPair();
    }

    private static String line(KeyPair key) {
        return PublicKeyEntry.toString(key.getPublic()) + " operator@test";
    }

    private ClientSession login(KeyPair key) throws Exception {
        ClientSession s = client.connect("operator", "127.0.0.1", console.port()).verify(Duration.ofSeconds(10)).getSession();
        s.addPublicKeyIdentity(key);
        try {
            s.auth().verify(Duration.ofSeconds(10));
        } catch (Exception e) {
            s.close();
            throw e;
        }
        return s;
    }

    private boolean canLogIn(KeyPair key) throws Exception {
        try (LogCapture quiet = new LogCapture(KEYS_LOG)) {
            try (ClientSession s = login(key)) {
                return s.isAuthenticated();
            } catch (IOException refused) {
                return false;
            }
        }
    }

    @Test
    void fromMismatchIsRefused() throws Exception {
        KeyPair elsewhere = ec();
        KeyPair negated = ec();
        start("from=\"10.0.0.0/8,192.168.*\" " + line(elsewhere),
                "from=\"127.0.0.0/8,!127.0.0.1\" " + line(negated));
        assertThat(canLogIn(elsewhere)).isFalse();
        assertThat(canLogIn(negated)).isFalse();
    }

    @Test
    void fromMatchIsAccepted() throws Exception {
        KeyPair block = ec();
        KeyPair glob = ec();
        start("from=\"10.0.0.0/8,127.0.0.0/8\" " + line(block), "from=\"!10.*,127.0.0.?\" " + line(glob));
        assertThat(canLogIn(block)).isTrue();
        assertThat(canLogIn(glob)).isTrue();
    }

    @Test
    void expiredKeyIsRefused() throws Exception {
        KeyPair old = ec();
        KeyPair current = ec();
        start("expiry-time=\"20200101\" " + line(old), "expiry-time=\"299912312359\" " + line(current));
        assertThat(canLogIn(old)).isFalse();
        assertThat(canLogIn(current)).isTrue();
    }

    @Test
    void userNamesCannotForgeLogLines() throws Exception {
        KeyPair old = ec();
        start("expiry-time=\"20200101\" " + line(old));
        try (LogCapture log = new LogCapture(KEYS_LOG)) {
            ClientSession s = client.connect("eve\n12:00:00 WARN forged", "127.0.0.1", console.port())
                    .verify(Duration.ofSeconds(10)).getSession();
            s.addPublicKeyIdentity(old);
            assertThatThrownBy(() -> s.auth().verify(Duration.ofSeconds(10))).isInstanceOf(IOException.class);
            s.close();
            assertThat(log.messages(Level.INFO)).isNotEmpty()
                    .allSatisfy(m -> assertThat(m).doesNotContain("\n").contains("eve\\x0a12:00:00 WARN forged refused"));
        }
    }

    @Test
    void commandOptionForcesTheCommand() throws Exception {
        KeyPair key = ec();
        start("command=\"show service shop\",no-pty " + line(key));
        try (ClientSession s = login(key)) {
            String out = s.executeRemoteCommand("disable 127.0.0.1:9002");
            assertThat(out).contains("shop (lb)").contains("127.0.0.1:9002");
            assertThat(plane.groups.get("main").get(1).admin()).isEqualTo("enabled");
            try (ChannelShell shell = s.createShellChannel()) {
                ByteArrayOutputStream screen = new ByteArrayOutputStream();
                shell.setIn(InputStream.nullInputStream());
                shell.setOut(screen);
                shell.setErr(OutputStream.nullOutputStream());
                shell.open().verify(Duration.ofSeconds(10));
                shell.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofSeconds(10));
                assertThat(screen.toString(StandardCharsets.UTF_8)).contains("shop (lb)").doesNotContain("portico>");
            }
        }
    }

    @Test
    void readOnlyKeyCanShowButNotChange() throws Exception {
        KeyPair reader = ec();
        start("portico-role=read " + line(reader));
        try (ClientSession s = login(reader)) {
            assertThat(s.executeRemoteCommand("show services")).contains("shop (lb)");
            assertThatThrownBy(() -> s.executeRemoteCommand("drain 127.0.0.1:9001"))
                    .hasMessageContaining("permission denied: read-only key");
            assertThatThrownBy(() -> s.executeRemoteCommand("save")).hasMessageContaining("permission denied: read-only key");
            assertThat(plane.groups.get("main").get(0).admin()).isEqualTo("enabled");
            assertThat(plane.saves).isZero();
        }
    }

    @Test
    void unknownOptionsAndMalformedLinesAreRefusedWithTheirLine() throws Exception {
        KeyPair unknown = ec();
        KeyPair certAuthority = ec();
        KeyPair good = ec();
        List<String> warnings = start("# operators",
                "tunnel-everything " + line(unknown),
                "cert-authority " + line(certAuthority),
                "ssh-ed25519 AAAA!!notbase64",
                "command=\"show " + line(ec()),
                "from=\"10.0.0.0/33\" " + line(ec()),
                line(good));
        assertThat(warnings).hasSize(5);
        assertThat(warnings.get(0)).contains(keys + ":2").contains("tunnel-everything").contains("not accepted");
        assertThat(warnings.get(1)).contains(keys + ":3").contains("cert-authority");
        assertThat(warnings.get(2)).contains(keys + ":4").contains("base64");
        assertThat(warnings.get(3)).contains(keys + ":5").contains("quote");
        assertThat(warnings.get(4)).contains(keys + ":6").contains("10.0.0.0/33");
        assertThat(canLogIn(unknown)).isFalse();
        assertThat(canLogIn(certAuthority)).isFalse();
        assertThat(canLogIn(good)).isTrue();
    }

    @Test
    void aLineThatIsNotUtf8SpoilsOnlyItself() throws Exception {
        KeyPair good = ec();
        Files.write(keys, ("command=\"show \u00e9\" ssh-ed25519 AAAA\n" + line(good) + "\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        try (LogCapture log = new LogCapture(KEYS_LOG)) {
            console = SshConsole.start(new HostPort("127.0.0.1", 0), keys, dir.resolve("host.key"), plane);
            assertThat(log.messages(Level.WARN)).singleElement().asString().contains(keys + ":1");
        }
        assertThat(canLogIn(good)).isTrue();
    }

    @Test
    void unsupportedKeyTypesAreWarnedAboutAtStart() throws Exception {
        KeyPairGenerator dsa = KeyPairGenerator.getInstance("DSA");
        dsa.initialize(1024);
        String dss = PublicKeyEntry.toString(dsa.generateKeyPair().getPublic());
        assertThat(dss).startsWith("ssh-dss ");
        List<String> warnings = start(dss + " old@test", "ssh-foo AAAAB3NzaC1yc2E= odd@test");
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains(keys + ":1").contains("ssh-dss"));
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains(keys + ":2").contains("ssh-foo"));
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains("no usable key"));
    }

    @Test
    void ed25519KeysLogIn() throws Exception {
        KeyPair ed = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
        start(line(ed));
        try (ClientSession s = login(ed)) {
            assertThat(s.executeRemoteCommand("show services")).contains("shop (lb)");
        }
    }

    @Test
    void rsaKeysSignWithSha2Only() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        KeyPair rsa = gen.generateKeyPair();
        start(line(rsa));
        assertThat(canLogIn(rsa)).isTrue();
        client.setSignatureFactories(List.of(BuiltinSignatures.ed25519, BuiltinSignatures.rsa));
        try (LogCapture refused = new LogCapture("org.apache.sshd.server.session.ServerUserAuthService")) {
            assertThat(canLogIn(rsa)).isFalse();
        }
    }

    @Test
    void newHostKeysAreEd25519AndExistingOnesAreKept() throws Exception {
        KeyPair key = ec();
        start(line(key));
        try (ClientSession s = login(key)) {
            assertThat(KeyUtils.getKeyType(s.getServerKey())).isEqualTo(KeyPairProvider.SSH_ED25519);
        }
        console.close();

        Path old = dir.resolve("old-host.key");
        SimpleGeneratorHostKeyProvider earlier = new SimpleGeneratorHostKeyProvider(old);
        earlier.setAlgorithm("EC");
        PublicKey before = earlier.loadKeys(null).get(0).getPublic();
        console = SshConsole.start(new HostPort("127.0.0.1", 0), keys, old, plane);
        try (ClientSession s = login(key)) {
            assertThat(KeyUtils.compareKeys(s.getServerKey(), before)).isTrue();
        }
    }

    @Test
    void theFileIsReadAgainWhenItChanges() throws Exception {
        KeyPair first = ec();
        KeyPair second = ec();
        start(line(first));
        assertThat(canLogIn(second)).isFalse();
        Files.writeString(keys, "portico-role=read " + line(second) + "\n");
        assertThat(canLogIn(second)).isTrue();
        assertThat(canLogIn(first)).isFalse();
    }

    @Test
    void noForwardingOfAnyKind() throws Exception {
        KeyPair key = ec();
        start(line(key));
        try (ClientSession s = login(key)) {
            assertThatThrownBy(() -> {
                try (ClientChannel direct = s.createDirectTcpipChannel(new SshdSocketAddress("127.0.0.1", 1),
                        new SshdSocketAddress("127.0.0.1", console.port()))) {
                    direct.open().verify(Duration.ofSeconds(10));
                }
            }).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> s.startRemotePortForwarding(new SshdSocketAddress("127.0.0.1", 0),
                    new SshdSocketAddress("127.0.0.1", 1))).isInstanceOf(IOException.class);
        }
    }

    // ---- with the OpenSSH client ---------------------------------------------------------------------

    private record Ran(int status, String out, String err) {
    }

    private static boolean haveOpenSsh() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, "ssh")) && Files.isExecutable(Path.of(d, "ssh-keygen"))) {
                return true;
            }
        }
        return false;
    }

    /** A fresh ed25519 key made by ssh-keygen; returns the private key file (the public is next to it). */
    private Path keygen(String name) throws Exception {
        Path key = dir.resolve(name);
        Ran r = run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name + "@test", "-f", key.toString()));
        assertThat(r.status()).as(r.err()).isZero();
        return key;
    }

    private Ran ssh(Path key, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ssh", "-F", "/dev/null", "-i", key.toString(), "-p",
                Integer.toString(console.port()), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR"));
        cmd.addAll(List.of(args).subList(0, args.length - 1));
        cmd.add("operator@127.0.0.1");
        cmd.add(args[args.length - 1]);
        return run(cmd);
    }

    private Ran run(List<String> cmd) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(cmd.get(0) + " did not finish: " + Files.readString(err));
        }
        return new Ran(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void openSshEd25519LoginAndPtyOptions() throws Exception {
        assumeTrue(haveOpenSsh(), "no OpenSSH client installed");
        // When ssh hangs up on the refused terminal, MINA warns of the broken pipe or of the command
        // ending on a closed channel, at some point before the server stops.
        quiet.add(new LogCapture("org.apache.sshd.server.session.ServerSessionImpl"));
        quiet.add(new LogCapture(ConsoleChannel.class.getName()));
        Path plain = keygen("plain");
        Path noPty = keygen("nopty");
        Path restricted = keygen("restricted");
        Path restrictedPty = keygen("restrictpty");
        start(Files.readString(plain.resolveSibling("plain.pub")).strip(),
                "no-pty " + Files.readString(noPty.resolveSibling("nopty.pub")).strip(),
                "restrict " + Files.readString(restricted.resolveSibling("restricted.pub")).strip(),
                "restrict,pty " + Files.readString(restrictedPty.resolveSibling("restrictpty.pub")).strip());

        Ran noTerminal = ssh(plain, "-T", "show services");
        assertThat(noTerminal.out()).as(noTerminal.err()).contains("shop (lb)");
        Ran ok = ssh(plain, "-tt", "show services");
        assertThat(ok.status()).as(ok.err()).isZero();
        assertThat(ok.out()).as(ok.err()).contains("shop (lb)");
        assertThat(ok.err()).doesNotContain("PTY allocation request failed");

        for (Path key : List.of(noPty, restricted)) {
            // ssh -tt gives up when the terminal it insists on is refused; without one the key works.
            Ran refused = ssh(key, "-tt", "show services");
            assertThat(refused.err()).as(key.toString()).contains("PTY allocation request failed");
            assertThat(refused.out()).doesNotContain("shop (lb)");
            Ran lines = ssh(key, "-T", "show services");
            assertThat(lines.status()).as(lines.err()).isZero();
            assertThat(lines.out()).contains("shop (lb)");
        }

        Ran again = ssh(restrictedPty, "-tt", "show services");
        assertThat(again.err()).doesNotContain("PTY allocation request failed");
        assertThat(again.out()).contains("shop (lb)");
    }
}
