package dev.portico.core.tls;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;

/**
 * Which TLS implementation handshakes run on: BoringSSL (netty-tcnative) when its native library
 * loads, else the JDK's.
 *
 * @param provider Netty's provider
 * @param name     {@code boringssl} or {@code jdk}, for the banner and the metric
 * @param reason   why the JDK is used, or null with BoringSSL
 */
public record TlsEngine(SslProvider provider, String name, String reason) {

    /** BoringSSL when available, else the JDK with the reason BoringSSL could not be loaded. */
    public static TlsEngine detect() {
        if (OpenSsl.isAvailable()) {
            return new TlsEngine(SslProvider.OPENSSL, "boringssl", null);
        }
        Throwable cause = OpenSsl.unavailabilityCause();
        return jdk("BoringSSL is not available: " + (cause == null ? "unknown reason" : cause.toString()));
    }

    /** The JDK's TLS, with the reason it was chosen. */
    public static TlsEngine jdk(String reason) {
        return new TlsEngine(SslProvider.JDK, "jdk", reason);
    }

    /** True with BoringSSL: ticket keys and OCSP stapling are available. */
    public boolean isNative() {
        return provider != SslProvider.JDK;
    }

    /** Registers {@code portico_tls_engine{engine=NAME}} 1 (once per registry and engine). */
    public void register(MeterRegistry meters) {
        if (meters.find("portico_tls_engine").tag("engine", name).gauge() != null) {
            return;
        }
        Gauge.builder("portico_tls_engine", () -> 1).tag("engine", name)
                .description("The TLS implementation in use (1)").register(meters);
    }

    /** For the start banner: {@code boringssl} or {@code jdk (reason)}. */
    public String describe() {
        return reason == null ? name : name + " (" + reason + ")";
    }
}
