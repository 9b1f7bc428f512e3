package dev.portico.admin.ssh;

import dev.portico.admin.api.ControlPlane;
import dev.portico.core.net.HostPort;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.config.keys.AuthorizedKeysAuthenticator;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The SSH console: public-key login from an {@code authorized_keys} file (passwords are never
 * accepted), then a shell over the admin actions with help and TAB completion, or one command per
 * {@code ssh … 'COMMAND'}. Off unless configured; binds loopback by default.
 */
public final class SshConsole implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SshConsole.class);

    private final SshServer server;

    private SshConsole(SshServer server) {
        this.server = server;
    }

    /**
     * Starts the console.
     *
     * @param listen         where to listen ({@code 127.0.0.1:2222} is a sensible default)
     * @param authorizedKeys the OpenSSH {@code authorized_keys} file; it must exist
     * @param hostKey        where the server's host key is kept (generated on first start)
     * @param plane          the admin actions
     * @throws IOException with a clear message when the keys file is missing or the port is taken
     */
    public static SshConsole start(HostPort listen, Path authorizedKeys, Path hostKey, ControlPlane plane)
            throws IOException {
        Objects.requireNonNull(plane, "plane");
        if (!Files.isRegularFile(authorizedKeys)) {
            throw new IOException("ssh console: authorized_keys file " + authorizedKeys + " does not exist");
        }
        Path keyDir = hostKey.toAbsolutePath().getParent();
        if (keyDir != null) {
            Files.createDirectories(keyDir);
        }
        ConsoleCommands commands = new ConsoleCommands(plane);
        SshServer sshd = SshServer.setUpDefaultServer();
        sshd.setHost(listen.host());
        sshd.setPort(listen.port());
        SimpleGeneratorHostKeyProvider keys = new SimpleGeneratorHostKeyProvider(hostKey);
        keys.setAlgorithm("EC");
        sshd.setKeyPairProvider(keys);
        sshd.setPublickeyAuthenticator(new AuthorizedKeysAuthenticator(authorizedKeys));
        sshd.setPasswordAuthenticator(null);
        sshd.setKeyboardInteractiveAuthenticator(null);
        String banner = "Portico console";
        sshd.setShellFactory(channel -> new ConsoleShell(commands, banner));
        sshd.setCommandFactory((channel, command) -> new ConsoleExec(commands, command));
        try {
            sshd.start();
        } catch (IOException e) {
            throw new IOException("ssh console: cannot listen on " + listen + ": " + e.getMessage(), e);
        }
        log.info("ssh console on {}:{} (keys from {})", listen.host(), sshd.getPort(), authorizedKeys);
        return new SshConsole(sshd);
    }

    /** The port actually bound. */
    public int port() {
        return server.getPort();
    }

    @Override
    public void close() throws IOException {
        server.stop(true);
    }
}
