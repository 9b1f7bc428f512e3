package dev.portico.admin.ssh;

import dev.portico.admin.api.ControlPlane;
import dev.portico.core.net.HostPort;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSessionFactory;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The SSH console: public-key login from an {@code authorized_keys} file (passwords are never
 * accepted), then a shell over the admin actions with help and TAB completion, or one command per
 * {@code ssh … 'COMMAND'}. The options of the key's line ({@code from=}, {@code command=},
 * {@code no-pty}, {@code restrict}, {@code expiry-time=}, {@code portico-role=read}) are enforced
 * (see {@link AuthorizedKeys}); nothing is ever forwarded. Off unless configured; binds loopback by
 * default.
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
        return start(listen, authorizedKeys, hostKey, plane, Clock.systemDefaultZone());
    }

    /**
     * Starts the console with the clock (and zone) {@code expiry-time} options are read and checked in.
     *
     * @see #start(HostPort, Path, Path, ControlPlane)
     */
    public static SshConsole start(HostPort listen, Path authorizedKeys, Path hostKey, ControlPlane plane, Clock clock)
            throws IOException {
        Objects.requireNonNull(plane, "plane");
        Objects.requireNonNull(clock, "clock");
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
        keys.setAlgorithm(hostKeyAlgorithm(hostKey));
        sshd.setKeyPairProvider(keys);
        // RSA keys sign with SHA-2 (rsa-sha2-256/512); SHA-1 "ssh-rsa" signatures are refused, as by sshd.
        sshd.setSignatureFactories(sshd.getSignatureFactories().stream()
                .filter(f -> !f.getName().equals(KeyPairProvider.SSH_RSA)).toList());
        AuthorizedKeys keyFile = new AuthorizedKeys(authorizedKeys, keyTypes(sshd), clock);
        int usable;
        try {
            usable = keyFile.load().size();
        } catch (IOException e) {
            throw new IOException("ssh console: cannot read the authorized_keys file " + authorizedKeys + ": " + e, e);
        }
        if (usable == 0) {
            log.warn("ssh console: {} has no usable key; nobody can log in", authorizedKeys);
        }
        sshd.setPublickeyAuthenticator(keyFile);
        sshd.setPasswordAuthenticator(null);
        sshd.setKeyboardInteractiveAuthenticator(null);
        sshd.setHostBasedAuthenticator(null);
        // Sessions only: no direct-tcpip channels, and no port, agent or X11 forwarding for any key.
        sshd.setChannelFactories(List.of(new ChannelSessionFactory() {
            @Override
            public Channel createChannel(Session session) {
                return new ConsoleChannel();
            }
        }));
        sshd.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
        String banner = "Portico console";
        sshd.setShellFactory(channel -> {
            KeyOptions o = ((ConsoleChannel) channel).options();
            return o.command() != null ? new ConsoleExec(commands, o.command(), o.role(), "a shell")
                    : new ConsoleShell(commands, banner, o.role());
        });
        sshd.setCommandFactory((channel, command) -> {
            KeyOptions o = ((ConsoleChannel) channel).options();
            return o.command() != null ? new ConsoleExec(commands, o.command(), o.role(), "'" + command + "'")
                    : new ConsoleExec(commands, command, o.role(), null);
        });
        try {
            sshd.start();
        } catch (IOException e) {
            throw new IOException("ssh console: cannot listen on " + listen + ": " + e.getMessage(), e);
        }
        log.info("ssh console on {}:{} (keys from {})", listen.host(), sshd.getPort(), authorizedKeys);
        return new SshConsole(sshd);
    }

    /**
     * The algorithm of the host key: a new one is ed25519; an existing file keeps the type it holds,
     * so clients that already know the host do not see it change.
     */
    private static String hostKeyAlgorithm(Path hostKey) throws IOException {
        if (!Files.exists(hostKey)) {
            return SecurityUtils.EDDSA;
        }
        try (InputStream in = Files.newInputStream(hostKey)) {
            for (KeyPair pair : SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(hostKey.toString()), in, null)) {
                return pair.getPublic().getAlgorithm();
            }
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            throw new IOException("ssh console: cannot read the host key " + hostKey + ": " + e.getMessage()
                    + " (move it away to have a new one generated)", e);
        }
        throw new IOException("ssh console: the host key file " + hostKey + " holds no key"
                + " (move it away to have a new one generated)");
    }

    /** The key types the server verifies signatures of, as authorized_keys names them. */
    private static Set<String> keyTypes(SshServer sshd) {
        Set<String> types = new TreeSet<>();
        for (NamedFactory<?> f : sshd.getSignatureFactories()) {
            String type = KeyUtils.getCanonicalKeyType(f.getName());
            if (!type.contains("-cert-")) {
                types.add(type);
            }
        }
        return types;
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
