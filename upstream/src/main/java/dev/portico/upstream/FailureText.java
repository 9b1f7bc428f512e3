package dev.portico.upstream;

import javax.net.ssl.SSLException;
import java.net.ConnectException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

/**
 * Short words for why talking to a backend failed, for health reasons, logs and the admin API.
 */
public final class FailureText {

    private static final String NATIVE_CALL = "(..) failed";

    private FailureText() {
    }

    /**
     * The failure's message, or its class name when it has none; a {@link TimeoutException}
     * without a message (what {@link java.util.concurrent.CompletableFuture#orTimeout} gives) is
     * "timed out". A refused or unreachable connect
     * is given by the system's words alone ("Connection refused"): Netty's native transports put
     * the call in front ({@code finishConnect(..) failed: } or
     * {@code finishConnect(..) failed with error(-111): }) and {@code : /ip:port} after it, and the
     * caller's own text already names the address. A TLS failure is given as
     * {@code TLS handshake failed: } (or {@code TLS: } after the handshake) and {@link #tls}'s words.
     *
     * @param cause what went wrong
     * @return the words
     */
    public static String of(Throwable cause) {
        if (cause instanceof SSLException) {
            return (cause instanceof javax.net.ssl.SSLHandshakeException ? "TLS handshake failed: " : "TLS: ") + tls(cause);
        }
        String message = cause.getMessage();
        if (message == null || message.isBlank()) {
            return cause instanceof TimeoutException ? "timed out" : cause.getClass().getSimpleName();
        }
        if (!(cause instanceof ConnectException)) {
            return message;
        }
        String text = message;
        int call = text.indexOf(NATIVE_CALL);
        if (call >= 0) {
            int colon = text.indexOf(": ", call);
            if (colon >= 0) {
                text = text.substring(colon + 2);
            }
        }
        int annotation = text.indexOf(": /");
        return annotation > 0 ? text.substring(0, annotation) : text;
    }

    /**
     * Why a TLS handshake with a backend failed, in the words an operator looks for: for the
     * backend's certificate {@code certificate has expired}, {@code certificate is not yet valid},
     * {@code unknown CA} (no chain to a trusted CA: self-signed, or signed by another CA) or
     * {@code name mismatch} (the certificate does not name the host or the configured
     * {@code sni}); for the backend's verdict on ours {@code the backend requires a client
     * certificate} or {@code the backend rejected the client certificate (ALERT)}; otherwise the
     * exception's message. Both engines are covered: the JDK's, and BoringSSL, whose verification
     * failures carry the trust manager's exception as their cause and whose alerts are named in
     * capitals ({@code TLSV1_ALERT_UNKNOWN_CA}).
     *
     * @param cause the handshake failure (an {@link SSLException}, or anything caused by one)
     * @return the words
     */
    public static String tls(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CertificateExpiredException) {
                return "certificate has expired";
            }
            if (t instanceof CertificateNotYetValidException) {
                return "certificate is not yet valid";
            }
            if (t instanceof CertPathValidatorException v) {
                if (v.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
                    return "certificate has expired";
                }
                if (v.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
                    return "certificate is not yet valid";
                }
            }
            if (t instanceof CertPathBuilderException) {
                return "unknown CA";
            }
            String m = t.getMessage() == null ? "" : t.getMessage();
            if (m.startsWith("No subject alternative") || m.startsWith("No name matching")) {
                return "name mismatch";
            }
            if (m.contains("unable to find valid certification path")) {
                return "unknown CA";
            }
        }
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        String alert = alert(message);
        if (alert != null) {
            return switch (alert) {
                case "certificate_required" -> "the backend requires a client certificate";
                case "bad_certificate", "unknown_ca", "certificate_unknown", "access_denied",
                     "unsupported_certificate", "certificate_expired", "certificate_revoked" ->
                        "the backend rejected the client certificate (" + alert + ")";
                default -> "the backend sent the alert " + alert;
            };
        }
        return message;
    }

    /**
     * The TLS alert a message reports the backend sent, in the JDK's lower-case form, or null:
     * {@code Received fatal alert: bad_certificate} (JDK) or {@code ...:SSLV3_ALERT_BAD_CERTIFICATE}
     * and {@code ...:TLSV1_ALERT_CERTIFICATE_REQUIRED} (BoringSSL).
     */
    private static String alert(String message) {
        String received = "Received fatal alert: ";
        int at = message.indexOf(received);
        if (at >= 0) {
            String rest = message.substring(at + received.length()).strip();
            int end = 0;
            while (end < rest.length() && (Character.isLetterOrDigit(rest.charAt(end)) || rest.charAt(end) == '_')) {
                end++;
            }
            return rest.substring(0, end);
        }
        for (String prefix : new String[] {"SSLV3_ALERT_", "TLSV1_ALERT_"}) {
            int p = message.indexOf(prefix);
            if (p >= 0) {
                int end = p + prefix.length();
                while (end < message.length() && (Character.isLetterOrDigit(message.charAt(end)) || message.charAt(end) == '_')) {
                    end++;
                }
                return message.substring(p + prefix.length(), end).toLowerCase(Locale.ROOT);
            }
        }
        return null;
    }

    /**
     * What a step that ran out of time was doing: {@code timed out after 2s waiting for the
     * response head}.
     *
     * @param after the time allowed
     * @param doing what it waited for or was busy with ("connecting", "waiting for the response head")
     * @return the words
     */
    public static String timedOut(Duration after, String doing) {
        return "timed out after " + duration(after) + " " + doing;
    }

    /**
     * A duration as an operator writes it in the config: whole seconds as {@code 2s}, anything
     * else in milliseconds ({@code 300ms}, {@code 1500ms}).
     *
     * @param d the duration
     * @return the words
     */
    public static String duration(Duration d) {
        long millis = d.toMillis();
        return millis % 1000 == 0 && millis > 0 ? millis / 1000 + "s" : millis + "ms";
    }
}
