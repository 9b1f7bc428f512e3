package dev.portico.upstream.health;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one pool's active health check. Build with {@link #builder(HealthCheckType)} or
 * parse the quick-start form with {@link #parse(String)}; both give the same defaults:
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>interval</td><td>2s</td><td>between checks of an UP (or not yet checked) backend</td></tr>
 *   <tr><td>timeout</td><td>1s</td><td>a check that takes longer fails</td></tr>
 *   <tr><td>rise</td><td>2</td><td>consecutive passes that bring a DOWN backend UP</td></tr>
 *   <tr><td>fall</td><td>3</td><td>consecutive failures that take an UP backend DOWN</td></tr>
 *   <tr><td>downInterval</td><td>1s</td><td>between checks of a DOWN backend</td></tr>
 *   <tr><td>allDownInterval</td><td>500ms</td><td>between checks while every backend of the pool is DOWN</td></tr>
 *   <tr><td>path</td><td>/</td><td>HTTP request path</td></tr>
 *   <tr><td>expect</td><td>2xx,3xx</td><td>accepted HTTP statuses</td></tr>
 *   <tr><td>bodyContains</td><td>(empty: not checked)</td><td>substring the HTTP body must contain</td></tr>
 *   <tr><td>hostHeader</td><td>(empty: backend host)</td><td>HTTP Host header</td></tr>
 *   <tr><td>port</td><td>0 (the backend's port)</td><td>port to check, when it differs from the traffic port</td></tr>
 * </table>
 *
 * @param type            what the check does
 * @param path            HTTP request path, starting with {@code /}
 * @param expect          accepted HTTP statuses
 * @param bodyContains    substring the HTTP body must contain; empty to skip the body check
 * @param hostHeader      HTTP Host header; empty to use the backend's host (and non-80 port)
 * @param port            port to check; 0 for the backend's own port
 * @param interval        time between checks of an UP backend
 * @param timeout         time after which a check fails
 * @param rise            consecutive passes needed to go from DOWN to UP
 * @param fall            consecutive failures needed to go from UP to DOWN
 * @param downInterval    time between checks of a DOWN backend
 * @param allDownInterval time between checks while the whole pool is DOWN
 */
public record HealthCheckConfig(HealthCheckType type, String path, StatusExpectation expect, String bodyContains,
                                String hostHeader, int port, Duration interval, Duration timeout, int rise,
                                int fall, Duration downInterval, Duration allDownInterval) {

    /** Largest body prefix an HTTP check reads when looking for {@link #bodyContains()}. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    /**
     * How long after {@link #timeout()} the checker still waits for a probe's own result. Each
     * probe bounds its exchange by the timeout and then says what it was waiting for ("timed out
     * after 1s waiting for the response head"); the checker's own timer, which only knows that
     * the whole check took too long, must not get in before it.
     */
    public static final Duration REPORT_GRACE = Duration.ofMillis(250);

    /** Validates every component. */
    public HealthCheckConfig {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(expect, "expect");
        Objects.requireNonNull(bodyContains, "bodyContains");
        Objects.requireNonNull(hostHeader, "hostHeader");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path: \"" + path + "\" (expected: starts with /)");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-65535, 0 = backend port)");
        }
        positive("interval", interval);
        positive("timeout", timeout);
        positive("downInterval", downInterval);
        positive("allDownInterval", allDownInterval);
        if (rise < 1) {
            throw new IllegalArgumentException("rise: " + rise + " (expected: >= 1)");
        }
        if (fall < 1) {
            throw new IllegalArgumentException("fall: " + fall + " (expected: >= 1)");
        }
    }

    private static void positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
    }

    /**
     * Starts a builder with the defaults listed above.
     *
     * @param type what the check does
     * @return the builder
     */
    public static Builder builder(HealthCheckType type) {
        return new Builder(type);
    }

    /**
     * Parses the quick-start form: {@code none}, {@code tcp}, {@code icmp}, {@code http} (path
     * {@code /}), {@code http:/some/path}, {@code https} or {@code https:/some/path}. Everything
     * else keeps its default.
     *
     * @param text the quick-start form
     * @return the config
     * @throws IllegalArgumentException if the form is not one of these
     */
    public static HealthCheckConfig parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.strip();
        int colon = s.indexOf(':');
        String typeText = colon < 0 ? s : s.substring(0, colon);
        HealthCheckType type;
        try {
            type = HealthCheckType.parse(typeText);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("health check: \"" + text
                    + "\" (expected: none, tcp, icmp, http, http:/path, https or https:/path)", e);
        }
        Builder b = builder(type);
        if (colon >= 0) {
            if (!type.http()) {
                throw new IllegalArgumentException("health check: \"" + text + "\" (expected: only http and https "
                        + "take a path, as in http:/health)");
            }
            b.path(s.substring(colon + 1));
        }
        return b.build();
    }

    /**
     * When a check that has not finished counts as failed: {@link #timeout()} plus
     * {@link #REPORT_GRACE}. Only a probe that does not bound itself reaches it.
     *
     * @return the time from a check's start
     */
    public Duration deadline() {
        return timeout.plus(REPORT_GRACE);
    }

    /**
     * A builder initialised from this config.
     *
     * @return the builder
     */
    public Builder toBuilder() {
        return new Builder(type).path(path).expect(expect).bodyContains(bodyContains).hostHeader(hostHeader)
                .port(port).interval(interval).timeout(timeout).rise(rise).fall(fall).downInterval(downInterval)
                .allDownInterval(allDownInterval);
    }

    @Override
    public String toString() {
        String what = type.http() ? type + ":" + path + " expect " + expect : type.toString();
        return what + (port != 0 ? " port " + port : "") + " every " + human(interval) + " (down "
                + human(downInterval) + ", all down " + human(allDownInterval) + "), timeout " + human(timeout)
                + ", rise " + rise + ", fall " + fall;
    }

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** Builds a {@link HealthCheckConfig}. */
    public static final class Builder {
        private HealthCheckType type;
        private String path = "/";
        private StatusExpectation expect = StatusExpectation.DEFAULT;
        private String bodyContains = "";
        private String hostHeader = "";
        private int port;
        private Duration interval = Duration.ofSeconds(2);
        private Duration timeout = Duration.ofSeconds(1);
        private int rise = 2;
        private int fall = 3;
        private Duration downInterval = Duration.ofSeconds(1);
        private Duration allDownInterval = Duration.ofMillis(500);

        private Builder(HealthCheckType type) {
            this.type = Objects.requireNonNull(type, "type");
        }

        /**
         * Sets the check type.
         *
         * @param value the type
         * @return this builder
         */
        public Builder type(HealthCheckType value) {
            this.type = Objects.requireNonNull(value, "value");
            return this;
        }

        /**
         * Sets the HTTP path.
         *
         * @param value starting with {@code /}
         * @return this builder
         */
        public Builder path(String value) {
            this.path = value;
            return this;
        }

        /**
         * Sets the accepted statuses.
         *
         * @param value the expectation
         * @return this builder
         */
        public Builder expect(StatusExpectation value) {
            this.expect = value;
            return this;
        }

        /**
         * Sets the accepted statuses from text such as {@code 200,3xx}.
         *
         * @param value the expectation text
         * @return this builder
         */
        public Builder expect(String value) {
            this.expect = StatusExpectation.parse(value);
            return this;
        }

        /**
         * Sets the required body substring (empty disables the body check).
         *
         * @param value the substring
         * @return this builder
         */
        public Builder bodyContains(String value) {
            this.bodyContains = value;
            return this;
        }

        /**
         * Sets the Host header (empty uses the backend's host).
         *
         * @param value the header value
         * @return this builder
         */
        public Builder hostHeader(String value) {
            this.hostHeader = value;
            return this;
        }

        /**
         * Sets the check port (0 uses the backend's port).
         *
         * @param value the port
         * @return this builder
         */
        public Builder port(int value) {
            this.port = value;
            return this;
        }

        /**
         * Sets the interval between checks of UP backends.
         *
         * @param value the interval
         * @return this builder
         */
        public Builder interval(Duration value) {
            this.interval = value;
            return this;
        }

        /**
         * Sets the check timeout.
         *
         * @param value the timeout
         * @return this builder
         */
        public Builder timeout(Duration value) {
            this.timeout = value;
            return this;
        }

        /**
         * Sets the passes needed to come back UP.
         *
         * @param value at least 1
         * @return this builder
         */
        public Builder rise(int value) {
            this.rise = value;
            return this;
        }

        /**
         * Sets the failures needed to go DOWN.
         *
         * @param value at least 1
         * @return this builder
         */
        public Builder fall(int value) {
            this.fall = value;
            return this;
        }

        /**
         * Sets the interval between checks of DOWN backends.
         *
         * @param value the interval
         * @return this builder
         */
        public Builder downInterval(Duration value) {
            this.downInterval = value;
            return this;
        }

        /**
         * Sets the interval between checks while the whole pool is DOWN.
         *
         * @param value the interval
         * @return this builder
         */
        public Builder allDownInterval(Duration value) {
            this.allDownInterval = value;
            return this;
        }

        /**
         * Builds and validates the config.
         *
         * @return the config
         * @throws IllegalArgumentException if a value is out of range
         */
        public HealthCheckConfig build() {
            return new HealthCheckConfig(type, path, expect, bodyContains, hostHeader, port, interval, timeout, rise,
                    fall, downInterval, allDownInterval);
        }
    }
}
