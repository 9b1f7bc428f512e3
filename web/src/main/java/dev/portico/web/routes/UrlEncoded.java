package dev.portico.web.routes;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses {@code application/x-www-form-urlencoded} text, as found in query strings and form
 * bodies: pairs are split on '&' and each at its first '=' before anything is decoded, so an
 * encoded {@code %26} or {@code %3D} stays part of its name or value. Then '+' becomes a space
 * and percent escapes are decoded as UTF-8. Malformed escapes and invalid UTF-8 are refused.
 */
public final class UrlEncoded {

    private UrlEncoded() {
    }

    /**
     * @return name → values in order of appearance; empty pairs are skipped and a pair without
     *         '=' has the empty value
     * @throws IllegalArgumentException for a bad escape or invalid UTF-8
     */
    public static Map<String, List<String>> parse(String text) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (text == null || text.isEmpty()) {
            return Collections.unmodifiableMap(out);
        }
        for (String pair : text.split("&", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            out.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        out.replaceAll((k, v) -> List.copyOf(v));
        return Collections.unmodifiableMap(out);
    }

    /** Decodes one name or value: '+' is a space, %XX a byte of UTF-8. */
    public static String decode(String s) {
        if (s.indexOf('%') < 0) {
            return s.replace('+', ' ');
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
                int lo = hi >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
                if (lo < 0) {
                    throw new IllegalArgumentException("bad percent escape in '" + s + "'");
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c == '+') {
                bytes.write(' ');
            } else {
                int end = i + 1;
                while (end < s.length() && s.charAt(end) != '%' && s.charAt(end) != '+') {
                    end++;
                }
                byte[] run = s.substring(i, end).getBytes(StandardCharsets.UTF_8);
                bytes.write(run, 0, run.length);
                i = end - 1;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("invalid UTF-8 in '" + s + "'");
        }
    }
}
