package dev.portico.dns;

import dev.portico.core.net.Cidr;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A dynamic record's client-dependent address sets: gdnsd's {@code nets} (3nsd's range answers)
 * and 3nsd's geo variants ({@code name@CC/CONTINENT}). For a query, the client's address (the
 * EDNS Client Subnet network when there is one, else the resolver's) is looked up in the nets
 * first: the most specific CIDR that contains it wins, whether written inline or in
 * {@code netsFile} (inline wins for the same CIDR). Otherwise, with a GeoIP database configured,
 * its country ISO code picks a geo variant, then its continent code. Otherwise the record's
 * default addresses answer. A chosen set whose addresses are all down falls back to the defaults.
 *
 * @param geo      upper-case codes, several joined by {@code /} ({@code US/CA}), to addresses;
 *                 each code is a country ISO code or a continent code
 * @param nets     CIDR to addresses, IPv4 and IPv6
 * @param netsFile a file of {@code CIDR addr[,addr...]} lines, read again when it changes; null for none
 */
public record ClientVariants(Map<String, List<AddressSpec>> geo, Map<Cidr, List<AddressSpec>> nets, Path netsFile) {

    /** No variants: every client gets the default addresses. */
    public static final ClientVariants NONE = new ClientVariants(Map.of(), Map.of(), null);

    /** Validates and copies the fields, normalising geo keys to upper case. */
    public ClientVariants {
        Map<String, List<AddressSpec>> g = new LinkedHashMap<>();
        java.util.Set<String> codes = new java.util.HashSet<>();
        for (Map.Entry<String, List<AddressSpec>> e : geo.entrySet()) {
            String key = normalizeCodes(e.getKey());
            for (String code : key.split("/")) {
                if (!codes.add(code)) {
                    throw new IllegalArgumentException("geo code " + code + " is listed twice");
                }
            }
            g.put(key, addresses("geo " + key, e.getValue()));
        }
        geo = Collections.unmodifiableMap(g);
        Map<Cidr, List<AddressSpec>> n = new LinkedHashMap<>();
        for (Map.Entry<Cidr, List<AddressSpec>> e : nets.entrySet()) {
            n.put(Objects.requireNonNull(e.getKey(), "cidr"), addresses("net " + e.getKey(), e.getValue()));
        }
        nets = Collections.unmodifiableMap(n);
    }

    /** Whether the answer can depend on the client. */
    public boolean isEmpty() {
        return geo.isEmpty() && nets.isEmpty() && netsFile == null;
    }

    /**
     * Checks and upper-cases a geo key: one or more two-letter codes joined by {@code /}.
     *
     * @param key for example {@code us/ca}
     * @return for example {@code US/CA}
     * @throws IllegalArgumentException with a message fit for a user
     */
    public static String normalizeCodes(String key) {
        List<String> out = new ArrayList<>();
        for (String code : key.split("/", -1)) {
            String c = code.trim().toUpperCase(Locale.ROOT);
            if (!c.matches("[A-Z0-9]{2}")) {
                throw new IllegalArgumentException("'" + key + "' is not a list of two-letter country or continent codes"
                        + " such as US/CA or EU");
            }
            out.add(c);
        }
        return String.join("/", out);
    }

    private static List<AddressSpec> addresses(String what, List<AddressSpec> list) {
        if (list.isEmpty()) {
            throw new IllegalArgumentException(what + " has no addresses");
        }
        return List.copyOf(list);
    }

    /**
     * Starts a builder.
     *
     * @return an empty builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link ClientVariants} for {@link DynamicRecordSpec}. */
    public static final class Builder {
        private final Map<String, List<AddressSpec>> geo = new LinkedHashMap<>();
        private final Map<Cidr, List<AddressSpec>> nets = new LinkedHashMap<>();
        private Path netsFile;

        private Builder() {
        }

        /**
         * Adds a geo variant.
         *
         * @param codes     country or continent codes, {@code /}-separated ({@code US/CA}, {@code AS})
         * @param addresses the addresses, in {@link AddressSpec#parse(String)} form
         * @return this builder
         */
        public Builder geo(String codes, String... addresses) {
            geo.put(codes, java.util.Arrays.stream(addresses).map(AddressSpec::parse).toList());
            return this;
        }

        /**
         * Adds a range.
         *
         * @param cidr      the range, for example {@code 127.0.0.0/24}
         * @param addresses the addresses, in {@link AddressSpec#parse(String)} form
         * @return this builder
         */
        public Builder net(String cidr, String... addresses) {
            nets.put(Cidr.parse(cidr), java.util.Arrays.stream(addresses).map(AddressSpec::parse).toList());
            return this;
        }

        /**
         * Sets the file of ranges, read again whenever it changes.
         *
         * @param file lines {@code CIDR addr[,addr...]}; null for none
         * @return this builder
         */
        public Builder netsFile(Path file) {
            netsFile = file;
            return this;
        }

        /**
         * Builds the variants.
         *
         * @return the variants
         * @throws IllegalArgumentException when a code or a list is invalid
         */
        public ClientVariants build() {
            return new ClientVariants(geo, nets, netsFile);
        }
    }
}
