package dev.portico.web.routes;

import dev.portico.web.files.PathResolver;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a raw request path into decoded segments for routing: split on '/' first, then each
 * segment percent-decoded strictly, so {@code %2F} stays inside its segment. Dot segments are
 * resolved after decoding (an encoded {@code %2E%2E} counts too) and may not climb above '/'.
 * A trailing slash leaves an empty last segment: {@code /a/} and {@code /a} differ.
 */
final class RoutePath {

    private RoutePath() {
    }

    /** @throws HttpError 400 for a malformed path */
    static List<String> segments(String rawPath) {
        if (rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            throw new HttpError(400, "path must start with /");
        }
        String[] raw = rawPath.substring(1).split("/", -1);
        List<String> out = new ArrayList<>(raw.length);
        for (int i = 0; i < raw.length; i++) {
            String seg;
            try {
                seg = PathResolver.decode(raw[i]);
            } catch (PathResolver.Refused e) {
                throw new HttpError(400, e.getMessage());
            }
            boolean last = i == raw.length - 1;
            if (seg.equals(".")) {
                if (last) {
                    out.add("");
                }
                continue;
            }
            if (seg.equals("..")) {
                if (out.isEmpty()) {
                    throw new HttpError(400, "path climbs above the root");
                }
                out.removeLast();
                if (last) {
                    out.add("");
                }
                continue;
            }
            out.add(seg);
        }
        if (out.isEmpty()) {
            out.add("");
        }
        return List.copyOf(out);
    }

    /** The decoded path, for display and logs. */
    static String join(List<String> segments) {
        return "/" + String.join("/", segments);
    }
}
