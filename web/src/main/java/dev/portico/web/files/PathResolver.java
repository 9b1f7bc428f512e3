package dev.portico.web.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a request path into a file under a document root, or refuses it. The path is
 * percent-decoded strictly (bad escapes, NUL bytes and invalid or overlong UTF-8 are refused),
 * backslashes are refused, dot segments are resolved and may not climb above the root, and the
 * real path of what is found must stay inside the root's real path unless links out are allowed.
 */
public final class PathResolver {

    /** Why a path was refused; the status to answer with. */
    public static final class Refused extends Exception {
        private final int status;

        public Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private PathResolver() {
    }

    /**
     * Decodes and normalises a raw request path into the segments below the root.
     *
     * @throws Refused 400 for anything malformed or climbing above the root
     */
    public static List<String> segments(String rawPath) throws Refused {
        if (rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            throw new Refused(400, "path must start with /");
        }
        String decoded = decode(rawPath);
        if (decoded.indexOf('\\') >= 0) {
            throw new Refused(400, "backslash in path");
        }
        List<String> out = new ArrayList<>();
        for (String seg : decoded.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".")) {
                continue;
            }
            if (seg.equals("..")) {
                if (out.isEmpty()) {
                    throw new Refused(400, "path climbs above the root");
                }
                out.remove(out.size() - 1);
                continue;
            }
            out.add(seg);
        }
        return out;
    }

    /** Percent-decodes strictly; '+' stays '+'. */
    public static String decode(String raw) throws Refused {
        if (raw.indexOf('%') < 0) {
            for (int i = 0; i < raw.length(); i++) {
                char c = raw.charAt(i);
                if (c < 0x20 || c == 0x7f) {
                    throw new Refused(400, "control character in path");
                }
            }
            return raw;
        }
        ByteBuffer bytes = ByteBuffer.allocate(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    throw new Refused(400, "truncated percent escape");
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new Refused(400, "bad percent escape");
                }
                int b = hi << 4 | lo;
                if (b == 0) {
                    throw new Refused(400, "NUL byte in path");
                }
                if (b < 0x20 || b == 0x7f) {
                    throw new Refused(400, "control character in path");
                }
                bytes.put((byte) b);
                i += 2;
            } else if (c > 0x7f || c < 0x20 || c == 0x7f) {
                throw new Refused(400, "unencoded non-ASCII or control character in path");
            } else {
                bytes.put((byte) c);
            }
        }
        bytes.flip();
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = dec.decode(bytes);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new Refused(400, "path is not valid UTF-8");
        }
    }

    /** The path the segments name under the root, links not resolved. */
    public static Path join(Path root, List<String> segments) throws Refused {
        Path p = root;
        for (String s : segments) {
            if (s.indexOf('\0') >= 0 || s.indexOf('/') >= 0) {
                throw new Refused(400, "bad path segment");
            }
            p = p.resolve(s);
        }
        return p;
    }

    /**
     * Resolves segments under a root.
     *
     * @param realRoot     the root's real path (links resolved)
     * @param followLinksOut true to serve symlinks whose target is outside the root
     * @return the file's real path, or null when nothing is there
     * @throws Refused 403 when the real path leaves the root and links out are not allowed
     */
    public static Path resolve(Path realRoot, List<String> segments, boolean followLinksOut) throws Refused {
        Path p = join(realRoot, segments);
        if (!p.normalize().startsWith(realRoot)) {
            throw new Refused(400, "path leaves the root");
        }
        Path real;
        try {
            real = p.toRealPath();
        } catch (IOException e) {
            return null;
        }
        if (!real.startsWith(realRoot) && !followLinksOut) {
            throw new Refused(403, "symlink leads outside the root");
        }
        return real;
    }
}
