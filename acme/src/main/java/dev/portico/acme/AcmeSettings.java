package dev.portico.acme;

import dev.portico.core.config.Durations;
import dev.portico.core.config.Section;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the {@code acme:} mapping of a service's {@code tls:} section says:
 *
 * <pre>
 * tls:
 *   acme:
 *     email: ops@example.com          # contact for the account (optional)
 *     directory: https://acme-v02.api.letsencrypt.org/directory
 *     ca_roots: /etc/portico/acme-ca.pem   # trusted for the directory's own HTTPS (default: the JDK's roots)
 *     names: [example.com, www.example.com]
 *     challenges: [tls-alpn-01, http-01]   # tried in this order (the default)
 *     renew_before: 30d                # renew this long before expiry (default: at 2/3 of the lifetime)
 * </pre>
 *
 * @param email       the account's contact address, or null for none
 * @param directory   the ACME directory URL, https
 * @param caRoots     a PEM file of the roots trusted for the directory's HTTPS, or null for the JDK's
 * @param names       the DNS names, each getting a certificate of its own, lower case, no duplicates
 * @param challenges  the challenge types tried, in order, at least one
 * @param renewBefore how long before expiry a certificate is renewed, or null for "at two thirds of
 *                    its lifetime"
 */
public record AcmeSettings(String email, URI directory, Path caRoots, List<String> names,
                           List<ChallengeType> challenges, Duration renewBefore) {

    /** The challenge types tried when the config names none: TLS-ALPN-01 first, then HTTP-01. */
    public static final List<ChallengeType> DEFAULT_CHALLENGES = List.of(ChallengeType.TLS_ALPN_01, ChallengeType.HTTP_01);

    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile("[0-9]+(\\.[0-9]+){3}");

    public AcmeSettings {
        Objects.requireNonNull(directory, "directory");
        checkDirectory(directory);
        if (email != null) {
            checkEmail(email);
        }
        List<String> checked = new ArrayList<>();
        for (String n : names) {
            String name = checkName(n);
            if (checked.contains(name)) {
                throw new IllegalArgumentException("'" + name + "' is listed twice");
            }
            checked.add(name);
        }
        if (checked.isEmpty()) {
            throw new IllegalArgumentException("acme needs at least one name");
        }
        names = List.copyOf(checked);
        if (challenges.isEmpty()) {
            throw new IllegalArgumentException("acme needs at least one challenge type");
        }
        if (new HashSet<>(challenges).size() != challenges.size()) {
            throw new IllegalArgumentException("a challenge type is listed twice: " + challenges);
        }
        challenges = List.copyOf(challenges);
        if (renewBefore != null && (renewBefore.isNegative() || renewBefore.isZero())) {
            throw new IllegalArgumentException("renew_before must be longer than 0");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The renewal lead time, when one is set. */
    public Optional<Duration> renewBeforeIfSet() {
        return Optional.ofNullable(renewBefore);
    }

    /**
     * A DNS name as ACME orders it: lower case, without a final dot.
     *
     * @throws IllegalArgumentException with a message fit for a user; a wildcard is refused because
     *                                  it needs DNS-01
     */
    public static String checkName(String text) {
        String name = text.trim().toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.startsWith("*.")) {
            throw new IllegalArgumentException("'" + text + "' is a wildcard name: a wildcard certificate needs the DNS-01 "
                    + "challenge, which Portico does not support yet; list each name instead");
        }
        if (IPV4.matcher(name).matches() || name.contains(":")) {
            throw new IllegalArgumentException("'" + text + "' is an IP address; acme takes DNS names only");
        }
        if (name.isEmpty() || name.length() > 253) {
            throw new IllegalArgumentException("'" + text + "' is not a DNS name");
        }
        String[] labels = name.split("\\.", -1);
        if (labels.length < 2) {
            throw new IllegalArgumentException("'" + text + "' is not a fully qualified DNS name (it needs a dot)");
        }
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("'" + text + "' is not a DNS name (label '" + label
                        + "': letters, digits and inner hyphens, 1 to 63 characters; write other scripts in punycode)");
            }
        }
        return name;
    }

    private static void checkDirectory(URI directory) {
        if (!"https".equalsIgnoreCase(directory.getScheme()) || directory.getHost() == null) {
            throw new IllegalArgumentException("directory '" + directory + "' must be an https:// URL");
        }
    }

    private static void checkEmail(String email) {
        int at = email.indexOf('@');
        if (at <= 0 || at != email.lastIndexOf('@') || at == email.length() - 1 || email.chars().anyMatch(c -> c <= ' ')) {
            throw new IllegalArgumentException("'" + email + "' is not an email address");
        }
    }

    private static URI parseDirectory(String text) {
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a URL: " + e.getReason());
        }
        checkDirectory(uri);
        return uri;
    }

    /**
     * Reads an {@code acme:} mapping. Each problem is reported at its file:line with the key's
     * path; a wildcard name is refused with the reason (it needs DNS-01).
     *
     * @param acme the section, for instance {@code tls.section("acme")}
     * @return the settings, or null when there are problems (they are in the section's problem list)
     */
    public static AcmeSettings read(Section acme) {
        int before = acme.problems().list().size();
        Builder b = builder();
        String email = acme.string("email", null);
        if (email != null) {
            try {
                checkEmail(email);
                b.email(email);
            } catch (IllegalArgumentException e) {
                acme.problem("email", "bad '" + acme.path() + ".email': " + e.getMessage());
            }
        }
        String directory = acme.requiredString("directory");
        if (directory != null) {
            try {
                b.directory(parseDirectory(directory));
            } catch (IllegalArgumentException e) {
                acme.problem("directory", "bad '" + acme.path() + ".directory': " + e.getMessage());
            }
        }
        String roots = acme.string("ca_roots", null);
        if (roots != null) {
            b.caRoots(Path.of(roots));
        }
        if (!acme.has("names")) {
            acme.problems().add(acme.location(), "'" + acme.path() + "' needs 'names', the DNS names to get certificates for");
        }
        List<String> names = acme.list("names", List.of(), AcmeSettings::checkName);
        Set<String> seen = new LinkedHashSet<>();
        for (String name : names) {
            if (!seen.add(name)) {
                acme.problem("names", "'" + acme.path() + ".names' lists '" + name + "' twice");
            }
        }
        if (acme.has("names") && names.isEmpty() && acme.problems().list().size() == before) {
            acme.problem("names", "'" + acme.path() + ".names' needs at least one name");
        }
        b.names(List.copyOf(seen));
        List<ChallengeType> challenges = acme.list("challenges", DEFAULT_CHALLENGES, ChallengeType::parse);
        if (acme.has("challenges") && challenges.isEmpty()) {
            acme.problem("challenges", "'" + acme.path() + ".challenges' needs at least one of " + ChallengeType.words());
        }
        if (new HashSet<>(challenges).size() != challenges.size()) {
            acme.problem("challenges", "'" + acme.path() + ".challenges' lists a type twice");
        }
        b.challenges(challenges);
        Duration renewBefore = acme.duration("renew_before", null);
        if (renewBefore != null && renewBefore.isZero()) {
            acme.problem("renew_before", "bad '" + acme.path() + ".renew_before': must be longer than 0");
        } else {
            b.renewBefore(renewBefore);
        }
        acme.finish();
        if (acme.problems().list().size() > before) {
            return null;
        }
        return b.build();
    }

    /** The settings as the mapping {@link #read} reads back; defaults are left out. */
    public Map<String, Object> toYaml() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (email != null) {
            m.put("email", email);
        }
        m.put("directory", directory.toString());
        if (caRoots != null) {
            m.put("ca_roots", caRoots.toString());
        }
        m.put("names", names);
        if (!challenges.equals(DEFAULT_CHALLENGES)) {
            m.put("challenges", challenges.stream().map(ChallengeType::word).toList());
        }
        if (renewBefore != null) {
            m.put("renew_before", Durations.format(renewBefore));
        }
        return m;
    }

    /** Builds settings in Java, with the same checks as the config file. */
    public static final class Builder {
        private String email;
        private URI directory;
        private Path caRoots;
        private final List<String> names = new ArrayList<>();
        private List<ChallengeType> challenges = DEFAULT_CHALLENGES;
        private Duration renewBefore;

        private Builder() {
        }

        public Builder email(String email) {
            this.email = email;
            return this;
        }

        public Builder directory(URI directory) {
            this.directory = directory;
            return this;
        }

        public Builder directory(String url) {
            return directory(parseDirectory(url));
        }

        public Builder caRoots(Path pemFile) {
            this.caRoots = pemFile;
            return this;
        }

        public Builder name(String name) {
            names.add(name);
            return this;
        }

        public Builder names(List<String> names) {
            this.names.clear();
            this.names.addAll(names);
            return this;
        }

        public Builder challenges(List<ChallengeType> challenges) {
            this.challenges = List.copyOf(challenges);
            return this;
        }

        public Builder challenges(ChallengeType... challenges) {
            return challenges(List.of(challenges));
        }

        /** Renew this long before expiry; null for "at two thirds of the lifetime". */
        public Builder renewBefore(Duration renewBefore) {
            this.renewBefore = renewBefore;
            return this;
        }

        /**
         * @throws IllegalArgumentException when a value is not valid (the message says which)
         * @throws NullPointerException     when the directory is missing
         */
        public AcmeSettings build() {
            return new AcmeSettings(email, directory, caRoots, names, challenges, renewBefore);
        }
    }
}
