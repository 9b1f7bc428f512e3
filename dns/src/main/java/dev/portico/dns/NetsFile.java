package dev.portico.dns;

import dev.portico.core.net.Cidr;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a ranges file ({@code nets_file}): one range per line, {@code CIDR addr[,addr...]}, where
 * each address is written as in the config ({@code 10.0.0.1}, {@code 10.0.0.1:8080},
 * {@code 10.0.0.1 weight 3}); {@code #} starts a comment and blank lines are skipped.
 *
 * <pre>
 * # BGP-derived ranges
 * 127.0.0.0/24      127.0.0.11, 127.0.0.12
 * 2001:db8::/32     127.0.0.13
 * </pre>
 */
final class NetsFile {

    /** A line that cannot be read; the message starts with {@code file:line:}. */
    static final class NetsFileException extends IOException {
        NetsFileException(String message) {
            super(message);
        }
    }

    private NetsFile() {
    }

    /**
     * Reads and checks the whole file.
     *
     * @param file the file
     * @return CIDR to addresses, in file order
     * @throws IOException when it cannot be read, or {@link NetsFileException} naming the first bad line
     */
    static Map<Cidr, List<AddressSpec>> read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * Parses the text of a ranges file.
     *
     * @param text  the content
     * @param label the file name for messages
     * @return CIDR to addresses
     * @throws NetsFileException naming the first bad line
     */
    static Map<Cidr, List<AddressSpec>> parse(String text, String label) throws NetsFileException {
        Map<Cidr, List<AddressSpec>> out = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = label + ":" + (i + 1) + ": ";
            String[] parts = line.split("\\s+", 2);
            if (parts.length < 2) {
                throw new NetsFileException(where + "'" + line + "' is not 'CIDR addr[,addr...]'");
            }
            try {
                Cidr cidr = Cidr.parse(parts[0]);
                List<AddressSpec> addresses = new ArrayList<>();
                for (String a : parts[1].split(",")) {
                    if (!a.isBlank()) {
                        addresses.add(AddressSpec.parse(a));
                    }
                }
                if (addresses.isEmpty()) {
                    throw new IllegalArgumentException("no addresses for " + parts[0]);
                }
                if (out.putIfAbsent(cidr, List.copyOf(addresses)) != null) {
                    throw new IllegalArgumentException(parts[0] + " is listed twice");
                }
            } catch (IllegalArgumentException e) {
                throw new NetsFileException(where + e.getMessage());
            }
        }
        return out;
    }
}
