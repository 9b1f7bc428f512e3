package dev.portico.web.http;

/**
 * The request target as the decoder accepts it (RFC 9112 §3.2): no fragment, no space and no
 * control byte, since a target that carries them means different things to different servers.
 * Bytes above 127, which no URI may hold raw, are taken as their percent-encoding, so that a
 * static file, a route and a backend all see the same target.
 */
public final class RequestTarget {

    /** Thrown inside the decoder; becomes the failed request's cause and a 400 answer. */
    public static final class Refused extends IllegalArgumentException {
        Refused(String message) {
            super(message, null);
        }
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private RequestTarget() {
    }

    /**
     * Checks a request target as decoded (one char per byte).
     *
     * @return the target itself, or its copy with bytes above 127 percent-encoded
     * @throws Refused for a fragment, a space or a control byte
     */
    public static String check(String target) {
        int encode = 0;
        for (int i = 0, n = target.length(); i < n; i++) {
            char c = target.charAt(i);
            if (c <= ' ' || c == 0x7f) {
                throw new Refused(c == ' ' ? "space in the request target"
                        : "control byte 0x" + Integer.toHexString(c) + " in the request target");
            }
            if (c == '#') {
                throw new Refused("fragment in the request target");
            }
            if (c > 0x7f) {
                encode++;
            }
        }
        return encode == 0 ? target : percentEncodeHigh(target, encode);
    }

    private static String percentEncodeHigh(String target, int count) {
        StringBuilder out = new StringBuilder(target.length() + 2 * count);
        for (int i = 0, n = target.length(); i < n; i++) {
            char c = target.charAt(i);
            if (c > 0xff) {
                throw new Refused("character U+" + Integer.toHexString(c) + " in the request target");
            }
            if (c > 0x7f) {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
