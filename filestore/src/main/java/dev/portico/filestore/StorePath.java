package dev.portico.filestore;

/**
 * What a request path means to the router, read from the raw (still percent-encoded) path
 * without its query. Paths that could leave the node's document root or name one file in two
 * ways are refused before any node sees them: {@code .} and {@code ..} segments (also as
 * {@code %2e}), encoded slashes and backslashes, NUL, empty segments and bad escapes.
 *
 * @param kind     what the path is
 * @param stage    the stage of a {@link Kind#STAGED} path, else -1
 * @param filePath {@code /<path>} after the prefix segment, raw, for {@link Kind#STAGED} and
 *                 {@link Kind#STAGELESS}; else null
 * @param refusal  why a {@link Kind#REFUSED} path is refused, else null
 */
record StorePath(Kind kind, int stage, String filePath, String refusal) {

    enum Kind {
        /** {@code /<prefix>_<n>/<path>}. */
        STAGED,
        /** {@code /<prefix>/<path>}: the router finds or chooses the stage. */
        STAGELESS,
        /** The prefix with a stage that is not a number, or no file path: 404. */
        BAD_STAGE,
        /** Outside the prefix. */
        OUTSIDE,
        /** Unsafe: 400. */
        REFUSED
    }

    private static final StorePath OUTSIDE = new StorePath(Kind.OUTSIDE, -1, null, null);
    private static final StorePath BAD_STAGE = new StorePath(Kind.BAD_STAGE, -1, null, null);

    /**
     * Reads a raw path for a store whose prefix is {@code prefix}. Runs on every request: only the
     * file path is cut out of it, the first segment is compared and its stage number read in place.
     */
    static StorePath parse(String rawPath, String prefix) {
        String unsafe = unsafe(rawPath);
        if (unsafe != null) {
            return new StorePath(Kind.REFUSED, -1, null, unsafe);
        }
        int end = rawPath.indexOf('/', 1);
        int firstEnd = end < 0 ? rawPath.length() : end;
        int p = prefix.length();
        if (firstEnd - 1 < p || !rawPath.startsWith(prefix, 1)) {
            return OUTSIDE;
        }
        boolean fileless = end < 0 || rawPath.length() - end <= 1;
        int tail = 1 + p;
        if (tail == firstEnd) {
            return fileless ? BAD_STAGE : new StorePath(Kind.STAGELESS, -1, rawPath.substring(end), null);
        }
        if (rawPath.charAt(tail) != '_') {
            return OUTSIDE;
        }
        int digits = firstEnd - tail - 1;
        if (digits == 0 || digits > 7 || fileless) {
            return BAD_STAGE;
        }
        int stage = 0;
        for (int i = tail + 1; i < firstEnd; i++) {
            char c = rawPath.charAt(i);
            if (c < '0' || c > '9') {
                return BAD_STAGE;
            }
            stage = stage * 10 + (c - '0');
        }
        return new StorePath(Kind.STAGED, stage, rawPath.substring(end), null);
    }

    /**
     * Why a raw path is unsafe, or null when it is not. One pass over the path, building nothing:
     * a segment is judged by its decoded length and whether all of its decoded characters are dots.
     */
    static String unsafe(String raw) {
        if (raw.isEmpty() || raw.charAt(0) != '/') {
            return "the target is not an absolute path";
        }
        int length = 0;
        boolean dots = true;
        for (int i = 1; i <= raw.length(); i++) {
            char c = i < raw.length() ? raw.charAt(i) : '/';
            if (c == '/') {
                if (dots && (length == 1 || length == 2)) {
                    return "'.' and '..' segments are refused";
                }
                if (length == 0 && i < raw.length()) {
                    return "empty path segments are refused";
                }
                length = 0;
                dots = true;
                continue;
            }
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return "a bad percent escape";
                }
                int v = hex(raw.charAt(i + 1)) * 16 + hex(raw.charAt(i + 2));
                if (v < 0) {
                    return "a bad percent escape";
                }
                if (v == '/' || v == '\\') {
                    return "encoded slashes are refused";
                }
                if (v == 0) {
                    return "NUL is refused";
                }
                c = (char) v;
                i += 2;
            } else if (c == '\\' || c < 0x20 || c == 0x7f) {
                return "backslashes and control characters are refused";
            }
            length++;
            dots &= c == '.';
        }
        return null;
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1000;
    }
}
