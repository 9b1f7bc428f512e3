package dev.portico.web.files;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.util.AsciiString;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * {@code Repr-Digest} (RFC 9530) for static files: the sha-256 of a file's bytes, computed once
 * per file version (path, size, modification time and inode) and kept in a bounded cache.
 * Concurrent requests for a version being hashed wait for the one computation; a small file is
 * hashed on the spot, a larger one on the blocking executor, never on an event loop. A file that
 * changes while it is hashed gives no digest (the answer goes out without the field).
 */
public final class ReprDigests {

    /** The request field that asks for the digest. */
    public static final AsciiString WANT = AsciiString.cached("want-repr-digest");
    /** Files up to this size are hashed on the calling thread (a page-cache read of a few pages). */
    static final long INLINE = 64 * 1024;
    /** Versions remembered. */
    static final int MAX_ENTRIES = 16_384;

    /** One version of a file: a change of content moves its size, its mtime or its inode. */
    private record Version(Path file, long size, long mtimeNanos, Object inode) {
        static Version of(Path file, BasicFileAttributes a) {
            return new Version(file, a.size(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.fileKey());
        }
    }

    private final AsyncCache<Version, String> digests;
    private final Executor blocking;

    /** @param blocking where files larger than {@link #INLINE} are hashed */
    public ReprDigests(Executor blocking) {
        this.blocking = blocking;
        this.digests = Caffeine.newBuilder().maximumSize(MAX_ENTRIES).executor(Runnable::run).buildAsync();
    }

    /**
     * The {@code Repr-Digest} field value of a file as {@code attrs} describe it: {@code sha-256=:BASE64:}.
     * The future is complete at once for a remembered version or a small file; it fails when the
     * file cannot be read or changed while it was read.
     */
    public CompletableFuture<String> digest(Path file, BasicFileAttributes attrs) {
        Version v = Version.of(file, attrs);
        return digests.get(v, (k, ignored) -> {
            if (k.size() <= INLINE) {
                try {
                    return CompletableFuture.completedFuture(hash(k));
                } catch (IOException | RuntimeException e) {
                    return CompletableFuture.failedFuture(e);
                }
            }
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return hash(k);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, blocking);
        });
    }

    /** Versions remembered (tests, stats). */
    public long size() {
        return digests.synchronous().estimatedSize();
    }

    private static String hash(Version v) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[(int) Math.min(Math.max(v.size(), 1), 64 * 1024)];
        long read = 0;
        try (InputStream in = Files.newInputStream(v.file())) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
                read += n;
            }
        }
        BasicFileAttributes after = Files.readAttributes(v.file(), BasicFileAttributes.class);
        if (read != v.size() || !Version.of(v.file(), after).equals(v)) {
            throw new IOException(v.file() + " changed while it was hashed");
        }
        return "sha-256=:" + Base64.getEncoder().encodeToString(md.digest()) + ":";
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /**
     * True when a {@code Want-Repr-Digest} field value (RFC 9530 §4, a Structured Fields
     * dictionary, RFC 8941 §3.2) asks for sha-256: its member {@code sha-256} is an integer from
     * 1 to 10 (0 means "not wanted"). Unknown algorithms are ignored; a field that does not parse
     * as a dictionary is ignored as a whole, as RFC 8941 requires. The last of duplicate keys wins.
     */
    public static boolean wantsSha256(String field) {
        if (field == null) {
            return false;
        }
        Dictionary d = new Dictionary(field);
        try {
            return d.parse("sha-256");
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Just enough of RFC 8941 §4.2 to walk a dictionary and read one member's integer value. */
    private static final class Dictionary {
        private final String s;
        private int i;

        Dictionary(String s) {
            this.s = s;
        }

        /** Parses the whole field; the value of {@code wanted} as a preference (1-10 wanted). */
        boolean parse(String wanted) {
            long value = -1;
            skipSpaces();
            if (i == s.length()) {
                return false;
            }
            while (true) {
                String key = key();
                long v = -1;
                if (peek() == '=') {
                    i++;
                    if (peek() == '(') {
                        innerList();
                    } else {
                        v = bareItem();
                    }
                }
                parameters();
                if (key.equals(wanted)) {
                    value = v;
                }
                skipOws();
                if (i == s.length()) {
                    break;
                }
                expect(',');
                skipOws();
                if (i == s.length()) {
                    throw new IllegalArgumentException("trailing comma");
                }
            }
            return value >= 1 && value <= 10;
        }

        private char peek() {
            return i < s.length() ? s.charAt(i) : '\0';
        }

        private void expect(char c) {
            if (peek() != c) {
                throw new IllegalArgumentException("expected " + c + " at " + i);
            }
            i++;
        }

        private void skipSpaces() {
            while (peek() == ' ') {
                i++;
            }
        }

        private void skipOws() {
            while (peek() == ' ' || peek() == '\t') {
                i++;
            }
        }

        private String key() {
            char c = peek();
            if (!(c >= 'a' && c <= 'z' || c == '*')) {
                throw new IllegalArgumentException("bad key at " + i);
            }
            int start = i++;
            while (true) {
                c = peek();
                if (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '*') {
                    i++;
                } else {
                    break;
                }
            }
            return s.substring(start, i);
        }

        private void parameters() {
            while (peek() == ';') {
                i++;
                skipSpaces();
                key();
                if (peek() == '=') {
                    i++;
                    bareItem();
                }
            }
        }

        private void innerList() {
            expect('(');
            while (true) {
                skipSpaces();
                if (peek() == ')') {
                    i++;
                    return;
                }
                bareItem();
                parameters();
                char c = peek();
                if (c != ' ' && c != ')') {
                    throw new IllegalArgumentException("bad inner list at " + i);
                }
            }
        }

        /** Reads one bare item; its value when it is an integer, else -1. */
        private long bareItem() {
            char c = peek();
            if (c == '-' || c >= '0' && c <= '9') {
                return number();
            }
            if (c == '"') {
                i++;
                while (true) {
                    char d = peek();
                    if (i >= s.length() || d < 0x20 || d > 0x7e) {
                        throw new IllegalArgumentException("bad string at " + i);
                    }
                    i++;
                    if (d == '\\') {
                        char e = peek();
                        if (e != '"' && e != '\\') {
                            throw new IllegalArgumentException("bad escape at " + i);
                        }
                        i++;
                    } else if (d == '"') {
                        return -1;
                    }
                }
            }
            if (c == ':') {
                int end = s.indexOf(':', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated byte sequence");
                }
                for (int k = i + 1; k < end; k++) {
                    char b = s.charAt(k);
                    if (!(Character.isLetterOrDigit(b) && b < 0x80 || b == '+' || b == '/' || b == '=')) {
                        throw new IllegalArgumentException("bad byte sequence");
                    }
                }
                i = end + 1;
                return -1;
            }
            if (c == '?') {
                i++;
                char b = peek();
                if (b != '0' && b != '1') {
                    throw new IllegalArgumentException("bad boolean at " + i);
                }
                i++;
                return -1;
            }
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '*') {
                i++;
                while (i < s.length() && "!#$%&'*+-.^_`|~:/".indexOf(s.charAt(i)) >= 0
                        || i < s.length() && Character.isLetterOrDigit(s.charAt(i)) && s.charAt(i) < 0x80) {
                    i++;
                }
                return -1;
            }
            throw new IllegalArgumentException("bad item at " + i);
        }

        private long number() {
            boolean negative = peek() == '-';
            if (negative) {
                i++;
            }
            int start = i;
            while (peek() >= '0' && peek() <= '9') {
                i++;
            }
            int digits = i - start;
            if (digits == 0 || digits > 15) {
                throw new IllegalArgumentException("bad number at " + start);
            }
            if (peek() == '.') {
                i++;
                int frac = i;
                while (peek() >= '0' && peek() <= '9') {
                    i++;
                }
                if (i == frac || i - frac > 3 || digits > 12) {
                    throw new IllegalArgumentException("bad decimal at " + start);
                }
                return -1;
            }
            long v = Long.parseLong(s, start, i, 10);
            return negative ? -v : v;
        }
    }
}
