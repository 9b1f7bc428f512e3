package dev.portico.admin.ssh;

import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.server.auth.pubkey.PublickeyAuthenticator;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The console's {@code authorized_keys}: the keys allowed to log in and the options each carries,
 * read as sshd(8) reads the file. A line that cannot be used (malformed, an unknown or unenforceable
 * option, a key type the console cannot verify) is logged at WARN with its file and line and is not
 * accepted; the other lines still work. The file is read again when it changes.
 *
 * <p>As the public-key authenticator it accepts a key when a line for it allows the client's address
 * ({@code from=}) and is not past its {@code expiry-time}, and puts that line's {@link KeyOptions} on
 * the session for the channel to enforce.
 */
final class AuthorizedKeys implements PublickeyAuthenticator {

    /** The options of the line the session logged in with. */
    static final AttributeRepository.AttributeKey<KeyOptions> OPTIONS = new AttributeRepository.AttributeKey<>();

    private static final Logger log = LoggerFactory.getLogger(AuthorizedKeys.class);
    private static final Pattern KEY_TYPE = Pattern.compile("(ssh-|ecdsa-|sk-|rsa-)[A-Za-z0-9@._-]+");

    /** One usable line. */
    record Entry(PublicKey key, KeyOptions options, int line, String comment) {
    }

    private final Path file;
    private final Set<String> keyTypes;
    private final Clock clock;
    private List<Entry> entries = List.of();
    private FileTime loadedTime;
    private long loadedSize = -1;

    /**
     * @param file     the {@code authorized_keys} file
     * @param keyTypes the key types the server can verify signatures of ({@code ssh-ed25519}, …)
     * @param clock    the clock {@code expiry-time} is checked against, in the zone it is read in
     */
    AuthorizedKeys(Path file, Set<String> keyTypes, Clock clock) {
        this.file = file;
        this.keyTypes = Set.copyOf(keyTypes);
        this.clock = clock;
    }

    /** Reads the file now (logging its unusable lines) and returns the usable ones. */
    synchronized List<Entry> load() throws IOException {
        FileTime time = Files.getLastModifiedTime(file);
        long size = Files.size(file);
        // Bytes that are not UTF-8 become U+FFFD, so they spoil their own line, not the whole file.
        List<String> lines = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines().toList();
        List<Entry> usable = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            try {
                Entry e = parse(lines.get(i), i + 1);
                if (e != null) {
                    usable.add(e);
                }
            } catch (IllegalArgumentException e) {
                log.warn("ssh console: {}:{}: {}; this key is not accepted", file, i + 1, e.getMessage());
            }
        }
        entries = List.copyOf(usable);
        loadedTime = time;
        loadedSize = size;
        return entries;
    }

    /** The usable lines, read again first when the file changed since the last read. */
    private synchronized List<Entry> current() {
        try {
            if (!Files.getLastModifiedTime(file).equals(loadedTime) || Files.size(file) != loadedSize) {
                load();
            }
        } catch (IOException e) {
            log.warn("ssh console: cannot read {}: {}; keeping the keys read before", file, e.toString());
        }
        return entries;
    }

    /**
     * One line: null for a blank line or a comment.
     *
     * @throws IllegalArgumentException saying why the line cannot be used
     */
    Entry parse(String raw, int line) {
        String text = raw.strip();
        if (text.isEmpty() || text.startsWith("#")) {
            return null;
        }
        KeyOptions options = KeyOptions.NONE;
        String first = text.split("\\s+", 2)[0];
        if (!KEY_TYPE.matcher(first).matches()) {
            int end = optionsEnd(text);
            options = KeyOptions.parse(text.substring(0, end), clock.getZone());
            text = text.substring(end).strip();
        }
        String[] parts = text.split("\\s+", 3);
        if (parts.length < 2 || parts[0].isEmpty()) {
            throw new IllegalArgumentException("no key type and key after the options");
        }
        String type = parts[0];
        if (!KEY_TYPE.matcher(type).matches()) {
            throw new IllegalArgumentException("'" + type + "' is not a key type");
        }
        if (!keyTypes.contains(type)) {
            throw new IllegalArgumentException("key type " + type + " is not supported by the console (it takes "
                    + String.join(", ", keyTypes.stream().sorted().toList()) + ")");
        }
        byte[] blob;
        try {
            blob = Base64.getDecoder().decode(parts[1]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the " + type + " key is not valid base64");
        }
        PublicKey key;
        try {
            Buffer buffer = new ByteArrayBuffer(blob);
            key = buffer.getRawPublicKey();
            if (buffer.available() != 0) {
                throw new IllegalArgumentException("trailing bytes");
            }
        } catch (RuntimeException | SshException e) {
            throw new IllegalArgumentException("the " + type + " key cannot be read (" + e.getMessage() + ")");
        }
        String actual = KeyUtils.getKeyType(key);
        if (!type.equals(actual)) {
            throw new IllegalArgumentException("the line says " + type + " but holds a " + actual + " key");
        }
        return new Entry(key, options, line, parts.length > 2 ? parts[2] : "");
    }

    /** Where the options end: the first whitespace outside double quotes. */
    private static int optionsEnd(String text) {
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && quoted && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && Character.isWhitespace(c)) {
                return i;
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("the options have an unclosed quote");
        }
        throw new IllegalArgumentException("no key after the options");
    }

    @Override
    public boolean authenticate(String username, PublicKey key, ServerSession session) {
        Instant now = clock.instant();
        String user = printable(username, 64);
        InetAddress client = address(session.getClientAddress());
        for (Entry e : current()) {
            if (!KeyUtils.compareKeys(e.key(), key)) {
                continue;
            }
            KeyOptions o = e.options();
            if (o.expired(now)) {
                log.info("ssh console: {} refused: the key at {}:{} expired at {}", user, file, e.line(), o.expiry());
                continue;
            }
            if (o.from() != null && (client == null || !o.from().allows(client))) {
                log.info("ssh console: {} refused: {} does not match from=\"{}\" of the key at {}:{}", user,
                        client == null ? "?" : FromPatterns.text(client), o.from(), file, e.line());
                continue;
            }
            session.setAttribute(OPTIONS, o);
            return true;
        }
        session.removeAttribute(OPTIONS);
        return false;
    }

    /**
     * Client-sent text (a user name, a command line) for the log: control characters escaped so it
     * cannot forge log lines, and cut at {@code max} characters.
     */
    static String printable(String name, int max) {
        StringBuilder sb = new StringBuilder(Math.min(name.length(), max));
        for (int i = 0; i < name.length() && i < max; i++) {
            char c = name.charAt(i);
            if (Character.isISOControl(c)) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return name.length() > max ? sb.append('…').toString() : sb.toString();
    }

    private static InetAddress address(SocketAddress a) {
        return a instanceof InetSocketAddress i ? i.getAddress() : null;
    }
}
