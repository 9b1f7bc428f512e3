package dev.portico.dns;

import dev.portico.core.config.Suggest;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.TTL;
import org.xbill.DNS.Type;
import org.xbill.DNS.UNKRecord;
import org.xbill.DNS.Zone;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads an RFC 1035 master file that may hold gdnsd-style {@code DYNA} lines:
 *
 * <pre>
 * www        IN DYNA prod_www            ; answers A/AAAA from the resource prod_www
 * api    60  IN DYNA www.example.test    ; ...or from a dynamic record, TTL capped at 60
 * </pre>
 *
 * The word after {@code DYNA} names a {@code resources:} entry or a {@code dynamic:} record of the
 * service. dnsjava's parser does not know the type, so each {@code DYNA} line is rewritten, on the
 * same line, into a record of the private type {@value #PLACEHOLDER_TYPE} whose data is the line's
 * index; everything else (origins, default TTLs, relative and omitted owners) is parsed by dnsjava
 * as usual, so its errors keep their line numbers. The placeholders are then taken out of the zone
 * and become a map from owner name to {@link Ref}.
 *
 * <p>Limits: a {@code DYNA} record fits on one line, its TTL is one value (it caps the resource's
 * MAX/MIN TTLs; without one the resource's TTLs are used as they are), and it may not share its
 * owner with A, AAAA or CNAME records. Files pulled in with {@code $INCLUDE} (relative to the
 * including file, at most {@value #MAX_INCLUDE_DEPTH} deep) may hold {@code DYNA} lines too: such
 * a file is rewritten into a temporary copy that dnsjava reads instead, and errors name the
 * original file and line.
 */
final class DynaZoneFile {

    /** The private-use type the rewritten lines use. */
    static final int PLACEHOLDER_TYPE = 65_280;

    private static final Pattern TTL_WORD = Pattern.compile("[0-9][0-9a-zA-Z]*");
    private static final Set<String> CLASSES = Set.of("IN", "CH", "CHAOS", "HS", "HESIOD", "NONE", "ANY");
    /** How deep {@code $INCLUDE}s may nest (a file that includes itself stops here). */
    private static final int MAX_INCLUDE_DEPTH = 8;
    /** The most errors {@link #check} reports for one zone. */
    private static final int MAX_ERRORS = 100;
    /** The {@code file:line:} an error message starts with. */
    private static final Pattern LOCATED = Pattern.compile("^(.+?):([0-9]+): ");

    /**
     * Where a {@code DYNA} name gets its answers.
     *
     * @param target the dynamic record or resource, as an absolute name
     * @param ttlCap the TTL given on the line, or -1 when none was
     * @param line   the line in the zone file
     */
    record Ref(Name target, long ttlCap, int line) {
    }

    private record DynaLine(Path file, int line, String target, long ttlCap) {
    }

    /**
     * One error in a zone file.
     *
     * @param file    the file it is in (an included file for errors there)
     * @param line    its line, or 0 when it has none (such as a missing SOA)
     * @param message what is wrong
     */
    record ZoneError(String file, int line, String message) {

        @Override
        public String toString() {
            return line > 0 ? file + ":" + line + ": " + message : file + ": " + message;
        }
    }

    private DynaZoneFile() {
    }

    /**
     * Loads a zone, resolving its {@code DYNA} lines against the known targets.
     *
     * @param origin  the zone's origin
     * @param file    the master file
     * @param targets the names {@code DYNA} may point at: resource names and dynamic record names,
     *                lower case without the trailing dot
     * @param dyna    receives owner name to reference, for every {@code DYNA} line
     * @return the zone without the {@code DYNA} lines
     * @throws IOException naming {@code file:line} of the first problem
     */
    static Zone load(Name origin, Path file, Set<String> targets, Map<Name, Ref> dyna) throws IOException {
        return load(origin, file, targets, dyna, null);
    }

    /**
     * Reads a zone file to the end and reports every error in it, not only the first: after an
     * error the record on the reported line (all its lines when it spans several) is left out and
     * the file is read again, until it loads or an error names no line (such as a missing SOA).
     *
     * @param origin  the zone's origin
     * @param file    the master file
     * @param targets what {@code DYNA} may point at
     * @return the errors in the order found; empty when the zone loads
     */
    static List<ZoneError> check(Name origin, Path file, Set<String> targets) {
        Map<Path, Set<Integer>> blank = new HashMap<>();
        List<ZoneError> errors = new ArrayList<>();
        while (true) {
            try {
                load(origin, file, targets, new HashMap<>(), blank);
                return inOrder(file, errors);
            } catch (IOException | RuntimeException e) {
                String message = String.valueOf(e.getMessage());
                Matcher at = LOCATED.matcher(message);
                if (!at.find()) {
                    errors.add(new ZoneError(file.toString(), 0, message));
                    return inOrder(file, errors);
                }
                int line = Integer.parseInt(at.group(2));
                errors.add(new ZoneError(at.group(1), line, message.substring(at.end())));
                if (errors.size() >= MAX_ERRORS) {
                    errors.add(new ZoneError(file.toString(), 0, "more errors not shown (after " + MAX_ERRORS + ")"));
                    return inOrder(file, errors);
                }
                if (!blank.computeIfAbsent(key(Path.of(at.group(1))), k -> new HashSet<>()).add(line)) {
                    return inOrder(file, errors);
                }
            }
        }
    }

    /** The errors of the zone's own file first, then those of included files, each by line; those without a line last. */
    private static List<ZoneError> inOrder(Path file, List<ZoneError> errors) {
        List<ZoneError> sorted = new ArrayList<>(errors);
        sorted.sort(java.util.Comparator.comparing((ZoneError e) -> e.line() == 0)
                .thenComparing(e -> !e.file().equals(file.toString()))
                .thenComparing(ZoneError::file)
                .thenComparingInt(ZoneError::line));
        return sorted;
    }

    /** How a file is known in the lines to leave out. */
    private static Path key(Path file) {
        return file.toAbsolutePath().normalize();
    }

    /** {@link #load}, leaving out the lines in {@code blank} (by file); null reads the file as dnsjava would. */
    private static Zone load(Name origin, Path file, Set<String> targets, Map<Name, Ref> dyna,
                             Map<Path, Set<Integer>> blank) throws IOException {
        List<DynaLine> found = new ArrayList<>();
        Map<Path, Path> copies = new LinkedHashMap<>();
        try {
            String text = rewriteFile(file, new Reading(targets, found, copies, blank == null ? Map.of() : blank), 0);
            if (found.isEmpty() && blank == null) {
                return new Zone(origin, file.toString());
            }
            Zone zone;
            try {
                zone = new Zone(origin, new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)));
            } catch (IOException | RuntimeException e) {
                String m = String.valueOf(e.getMessage());
                m = m.startsWith("<none>:") ? file + m.substring("<none>".length()) : m;
                for (Map.Entry<Path, Path> c : copies.entrySet()) {
                    // dnsjava names an included file by its path or by its file name alone.
                    m = m.replace(c.getKey().toString(), c.getValue().toString())
                            .replace(c.getKey().getFileName().toString(), c.getValue().toString());
                }
                throw new IOException(m, e);
            }
            collect(zone, file, found, dyna);
            return zone;
        } finally {
            for (Path copy : copies.keySet()) {
                Files.deleteIfExists(copy);
            }
        }
    }

    /**
     * {@code file}'s text as dnsjava should read it: its {@code DYNA} lines become placeholders, and
     * each file it pulls in with {@code $INCLUDE} is named by its absolute path, or replaced by a
     * temporary copy (recorded in {@code copies}, copy to original) when it holds {@code DYNA} lines
     * itself.
     */
    private static String rewriteFile(Path file, Reading reading, int depth) throws IOException {
        List<String> lines;
        try {
            // Byte for byte: master files are ASCII, but any byte must pass through unchanged.
            lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new java.io.FileNotFoundException(file + " (no such file)");
        }
        boolean[] left = leftOut(lines, reading.blank().getOrDefault(key(file), Set.of()));
        StringBuilder out = new StringBuilder();
        int parens = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (left[i]) {
                out.append('\n');
                continue;
            }
            String line = lines.get(i);
            String code = withoutComment(line);
            int opens = count(code, '(');
            int closes = count(code, ')');
            String rewritten = line;
            if (parens == 0 && !code.isBlank()) {
                Place place = new Place(file, i + 1, reading, depth);
                rewritten = rewrite(line, code, place, opens + closes > 0);
            }
            parens = Math.max(0, parens + opens - closes);
            out.append(rewritten).append('\n');
        }
        return out.toString();
    }

    /**
     * Which lines to leave out: every line of each record (a record spans lines inside
     * parentheses) that has a line in {@code lines}, 1-based.
     */
    private static boolean[] leftOut(List<String> text, Set<Integer> lines) {
        boolean[] left = new boolean[text.size()];
        if (lines.isEmpty()) {
            return left;
        }
        int[] start = new int[text.size()];
        int parens = 0;
        for (int i = 0; i < text.size(); i++) {
            start[i] = parens == 0 ? i : start[i - 1];
            String code = withoutComment(text.get(i));
            parens = Math.max(0, parens + count(code, '(') - count(code, ')'));
        }
        for (int i = 0; i < text.size(); i++) {
            if (lines.contains(i + 1)) {
                for (int j = start[i]; j < text.size() && start[j] == start[i]; j++) {
                    left[j] = true;
                }
            }
        }
        return left;
    }

    /**
     * What reading a zone file and its includes works with: the known {@code DYNA} targets, the
     * {@code DYNA} lines found, the temporary copies made, and the lines to leave out (by file).
     */
    private record Reading(Set<String> targets, List<DynaLine> found, Map<Path, Path> copies,
                           Map<Path, Set<Integer>> blank) {
    }

    /** Where a line is, and what reading it may add to: the state {@link #rewrite} works with. */
    private record Place(Path file, int line, Reading reading, int depth) {

        Set<String> targets() {
            return reading.targets();
        }

        List<DynaLine> found() {
            return reading.found();
        }

        Map<Path, Path> copies() {
            return reading.copies();
        }
    }

    /** {@code $INCLUDE FILE [ORIGIN]} with FILE made absolute, or pointing at a rewritten copy. */
    private static String include(String[] words, Place at) throws IOException {
        Path dir = at.file().toAbsolutePath().getParent();
        Path included = Path.of(words[1]);
        if (!included.isAbsolute()) {
            included = dir != null ? dir.resolve(included) : included.toAbsolutePath();
        }
        if (at.depth() >= MAX_INCLUDE_DEPTH) {
            throw error(at.file(), at.line(), "$INCLUDE nested more than " + MAX_INCLUDE_DEPTH + " files deep");
        }
        int before = at.found().size();
        String text;
        try {
            text = rewriteFile(included, at.reading(), at.depth() + 1);
        } catch (java.io.FileNotFoundException e) {
            throw error(at.file(), at.line(), "$INCLUDE " + words[1] + ": " + e.getMessage());
        }
        if (at.found().size() > before || at.reading().blank().containsKey(key(included))) {
            Path copy = Files.createTempFile("portico-zone-", ".include");
            at.copies().put(copy, included);
            Files.writeString(copy, text, StandardCharsets.ISO_8859_1);
            included = copy;
        }
        words[1] = included.toString();
        return String.join(" ", words);
    }

    /** The line as dnsjava should read it: DYNA lines become placeholders, $INCLUDEs see {@link #include}. */
    private static String rewrite(String line, String code, Place where, boolean parens) throws IOException {
        Path file = where.file();
        int number = where.line();
        Set<String> targets = where.targets();
        List<DynaLine> found = where.found();
        boolean owner = !Character.isWhitespace(line.charAt(0));
        String[] words = code.trim().split("\\s+");
        if (owner && words[0].equalsIgnoreCase("$INCLUDE") && words.length >= 2 && !words[1].startsWith("\"")) {
            return include(words, where);
        }
        if (owner && words[0].startsWith("$")) {
            return line;
        }
        int at = owner ? 1 : 0;
        long ttl = -1;
        String dnsClass = null;
        for (int k = 0; k < 2 && at < words.length; k++) {
            String w = words[at];
            if (dnsClass == null && (CLASSES.contains(w.toUpperCase(Locale.ROOT)) || w.toUpperCase(Locale.ROOT).startsWith("CLASS"))) {
                dnsClass = w;
                at++;
            } else if (ttl < 0 && (TTL_WORD.matcher(w).matches() || w.matches("[0-9]+/[0-9]+"))) {
                ttl = ttl(w, file, number);
                at++;
            } else {
                break;
            }
        }
        if (at >= words.length || !words[at].equalsIgnoreCase("DYNA")) {
            return line;
        }
        if (parens) {
            throw error(file, number, "a DYNA record must fit on one line");
        }
        if (words.length != at + 2) {
            throw error(file, number, "DYNA takes one word, the resource or dynamic record it answers from");
        }
        String target = words[at + 1].toLowerCase(Locale.ROOT);
        if (target.endsWith(".")) {
            target = target.substring(0, target.length() - 1);
        }
        if (!targets.contains(target)) {
            String hint = Suggest.nearest(target, targets).map(s -> "; did you mean '" + s + "'?").orElse("");
            throw error(file, number, "DYNA points at '" + words[at + 1] + "', which is no resource or dynamic record"
                    + " of this service" + hint);
        }
        int index = found.size();
        found.add(new DynaLine(file, number, target, ttl));
        return (owner ? words[0] : " ") + " " + (dnsClass != null ? dnsClass : "") + " TYPE" + PLACEHOLDER_TYPE
                + " \\# 4 " + String.format("%08x", index);
    }

    private static long ttl(String word, Path file, int line) throws IOException {
        if (word.indexOf('/') >= 0) {
            throw error(file, line, "a DYNA TTL is one value, which caps the TTLs of what it points at (MAX/MIN "
                    + "goes in the resource's 'ttl')");
        }
        try {
            return TTL.parseTTL(word);
        } catch (NumberFormatException e) {
            throw error(file, line, "'" + word + "' is not a TTL");
        }
    }

    /** Takes the placeholders out of the zone and records where each owner points. */
    private static void collect(Zone zone, Path file, List<DynaLine> found, Map<Name, Ref> dyna) throws IOException {
        List<RRset> placeholders = new ArrayList<>();
        for (RRset set : zone) {
            if (set.getType() == PLACEHOLDER_TYPE) {
                placeholders.add(set);
            }
        }
        Map<Name, Ref> refs = new HashMap<>();
        boolean[] seen = new boolean[found.size()];
        for (RRset set : placeholders) {
            List<Record> records = set.rrs(false);
            for (Record r : records) {
                byte[] data = r instanceof UNKRecord u ? u.getData() : new byte[0];
                int index = data.length == 4 ? (data[0] & 0xff) << 24 | (data[1] & 0xff) << 16 | (data[2] & 0xff) << 8 | data[3] & 0xff : -1;
                if (index < 0 || index >= found.size()) {
                    throw new IOException(file + ": TYPE" + PLACEHOLDER_TYPE + " records are reserved for DYNA");
                }
                DynaLine d = found.get(index);
                seen[index] = true;
                if (refs.containsKey(set.getName())) {
                    throw error(d.file(), d.line(), set.getName() + " has more than one DYNA record");
                }
                for (int type : new int[] {Type.A, Type.AAAA, Type.CNAME}) {
                    if (zone.findExactMatch(set.getName(), type) != null) {
                        throw error(d.file(), d.line(), set.getName() + " has both DYNA and " + Type.string(type) + " records");
                    }
                }
                refs.put(set.getName(), new Ref(DnsNames.absolute(d.target()), d.ttlCap(), d.line()));
            }
            zone.removeRRset(set.getName(), PLACEHOLDER_TYPE);
        }
        for (int i = 0; i < seen.length; i++) {
            if (!seen[i]) {
                throw error(found.get(i).file(), found.get(i).line(), "the DYNA record's name is outside the zone "
                        + zone.getOrigin());
            }
        }
        dyna.putAll(refs);
    }

    /** The line up to a comment ({@code ;} outside quotes). */
    private static String withoutComment(String line) {
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == ';' && !quoted) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    /** Unquoted occurrences of {@code c}. */
    private static int count(String code, char c) {
        int n = 0;
        boolean quoted = false;
        for (int i = 0; i < code.length(); i++) {
            char x = code.charAt(i);
            if (x == '\\') {
                i++;
            } else if (x == '"') {
                quoted = !quoted;
            } else if (x == c && !quoted) {
                n++;
            }
        }
        return n;
    }

    private static IOException error(Path file, int line, String message) {
        return new IOException(file + ":" + line + ": " + message);
    }
}
