package dev.portico.web.dav;

import dev.portico.core.net.Cidr;
import dev.portico.web.WebConfig;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.ResponseHead;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Decides who may use WebDAV: the client address must be in one of the writer ranges (else 403)
 * and, when users are configured, the request must carry matching Basic credentials (else 401
 * with a challenge). Passwords are compared as SHA-256 digests with a constant-time comparison,
 * and an unknown user costs the same as a wrong password.
 */
final class WriteAccess {

    private static final byte[] UNKNOWN_USER = digest("\0portico-no-such-user\0");

    private final WebConfig.WebDav config;
    private final Map<String, byte[]> passwords = new HashMap<>();
    private final byte[] challenge;

    WriteAccess(WebConfig.WebDav config) {
        this.config = config;
        config.users().forEach((user, password) -> passwords.put(user, digest(password)));
        String realm = config.realm().replace("\\", "\\\\").replace("\"", "\\\"");
        this.challenge = ("Basic realm=\"" + realm + "\", charset=\"UTF-8\"").getBytes(StandardCharsets.UTF_8);
    }

    /** True when the request may proceed; otherwise the refusal has been sent. */
    boolean admit(Exchange ex) {
        if (!Cidr.anyContains(config.writers(), ex.remoteAddress().getAddress())) {
            refuse(ex);
            ex.error(403);
            return false;
        }
        if (passwords.isEmpty() || credentialsMatch(ex.headers().get(HttpHeaderNames.AUTHORIZATION))) {
            return true;
        }
        refuse(ex);
        byte[] body = "<!DOCTYPE html>\n<html><body><h1>401 Unauthorized</h1></body></html>\n"
                .getBytes(StandardCharsets.UTF_8);
        ex.respond(ResponseHead.of(401)
                .header("WWW-Authenticate", new String(challenge, StandardCharsets.ISO_8859_1))
                .header("Content-Type", "text/html; charset=utf-8"), Unpooled.wrappedBuffer(body));
        return false;
    }

    /** A refused request's body is never read, so the connection cannot be reused. */
    private static void refuse(Exchange ex) {
        if (ex.hasBody()) {
            ex.closeAfterResponse();
        }
    }

    private boolean credentialsMatch(String header) {
        if (header == null || header.length() < 6 || !header.substring(0, 6).toLowerCase(Locale.ROOT).equals("basic ")) {
            return false;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return false;
        }
        byte[] expected = passwords.get(decoded.substring(0, colon));
        boolean known = expected != null;
        boolean same = MessageDigest.isEqual(digest(decoded.substring(colon + 1)), known ? expected : UNKNOWN_USER);
        return known & same;
    }

    private static byte[] digest(String password) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }
}
