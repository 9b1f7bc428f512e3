package dev.portico.dns;

import dev.portico.core.config.AtomicFiles;
import dev.portico.upstream.AdminState;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The file that keeps operators' overrides of dynamic addresses across restarts, as gdnsd's
 * {@code admin_state} does: one {@code RECORD ADDRESS up|down} per line, {@code #} comments.
 * {@code up} answers the address whatever its checks say, {@code down} never answers it; an
 * address not listed is left to its checks. The admin API's force actions rewrite it.
 */
final class AdminStateFile {

    /**
     * One override.
     *
     * @param record  the dynamic record's or resource's name, as the config gives it
     * @param address the address overridden
     * @param state   {@link AdminState#FORCED_UP} or {@link AdminState#DISABLED}
     * @param line    where it was read (1-based), or 0 for one about to be written
     */
    record Entry(String record, InetAddress address, AdminState state, int line) {
    }

    private AdminStateFile() {
    }

    /**
     * Reads the overrides; a missing file holds none.
     *
     * @param problems told {@code file:line: message} for each line that is skipped
     * @throws IOException when the file exists but cannot be read
     */
    static List<Entry> read(Path file, Consumer<String> problems) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String text = lines.get(i);
            int hash = text.indexOf('#');
            String[] words = (hash >= 0 ? text.substring(0, hash) : text).trim().split("\\s+");
            if (words.length == 1 && words[0].isEmpty()) {
                continue;
            }
            String where = file + ":" + (i + 1) + ": ";
            if (words.length != 3) {
                problems.accept(where + "expected RECORD ADDRESS up|down, got '" + text.trim() + "'");
                continue;
            }
            AdminState state = switch (words[2].toLowerCase(Locale.ROOT)) {
                case "up" -> AdminState.FORCED_UP;
                case "down" -> AdminState.DISABLED;
                default -> null;
            };
            if (state == null) {
                problems.accept(where + "'" + words[2] + "' is not up or down");
                continue;
            }
            try {
                out.add(new Entry(words[0], IpLiteral.parse(words[1]), state, i + 1));
            } catch (IllegalArgumentException e) {
                problems.accept(where + e.getMessage());
            }
        }
        return out;
    }

    /** Replaces the file with {@code entries}, atomically. */
    static void write(Path file, List<Entry> entries) throws IOException {
        StringBuilder b = new StringBuilder("# Overrides of dynamic DNS addresses: RECORD ADDRESS up|down.\n"
                + "# Written by Portico's admin API; read at start and on SIGHUP.\n");
        for (Entry e : entries) {
            b.append(e.record()).append(' ').append(e.address().getHostAddress()).append(' ')
                    .append(e.state() == AdminState.FORCED_UP ? "up" : "down").append('\n');
        }
        AtomicFiles.write(file, b.toString());
    }
}
