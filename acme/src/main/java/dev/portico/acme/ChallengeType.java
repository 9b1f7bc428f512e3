package dev.portico.acme;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The ACME challenge types Portico answers, by their RFC names. */
public enum ChallengeType {

    /** RFC 8737: a self-signed certificate served on the TLS port to a ClientHello offering {@code acme-tls/1}. */
    TLS_ALPN_01("tls-alpn-01"),

    /** RFC 8555 section 8.3: the key authorization served at {@code /.well-known/acme-challenge/TOKEN} on port 80. */
    HTTP_01("http-01");

    private final String word;

    ChallengeType(String word) {
        this.word = word;
    }

    /** The name in config files and in ACME messages: {@code tls-alpn-01}, {@code http-01}. */
    public String word() {
        return word;
    }

    /** Every type's name, in the default order of preference. */
    public static List<String> words() {
        return Arrays.stream(values()).map(ChallengeType::word).toList();
    }

    /**
     * The type named {@code text} (case-insensitive).
     *
     * @throws IllegalArgumentException with a message fit for a user for any other word; dns-01
     *                                  gets its own reason
     */
    public static ChallengeType parse(String text) {
        String w = text.trim().toLowerCase(Locale.ROOT);
        for (ChallengeType t : values()) {
            if (t.word.equals(w)) {
                return t;
            }
        }
        if (w.equals("dns-01")) {
            throw new IllegalArgumentException("dns-01 is not supported yet; use " + String.join(" or ", words()));
        }
        throw new IllegalArgumentException("'" + text + "' is not a challenge type (" + String.join(", ", words()) + ")");
    }

    @Override
    public String toString() {
        return word;
    }
}
