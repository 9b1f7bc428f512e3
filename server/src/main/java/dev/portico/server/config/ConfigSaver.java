package dev.portico.server.config;

import dev.portico.core.config.AtomicFiles;
import dev.portico.core.config.ConfigException;
import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.YamlLoader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes the running config back to its file, as txLoadBalancer's {@code saveConfig} did, but
 * safely: only when the file, read again, holds a different config; then the old file is kept
 * as {@code FILE-yyyyMMddHHmmss}, the new text goes to a temporary file in the same directory,
 * is flushed to disk and renamed over the file. A reader never sees a half-written file. Paths the
 * file wrote relative to its directory stay relative.
 */
public final class ConfigSaver {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");

    /**
     * What a save did.
     *
     * @param written true when the file was written
     * @param file    the config file
     * @param backup  the copy of the previous file, or null when nothing was written or there was no file
     */
    public record Result(boolean written, Path file, Path backup) {
    }

    private final ServerConfigReader reader;
    private final ConfigYaml yaml = new ConfigYaml();
    private final YamlLoader loader = new YamlLoader();
    private final Clock clock;

    public ConfigSaver(ServerConfigReader reader, Clock clock) {
        this.reader = Objects.requireNonNull(reader, "reader");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Saves {@code running} to {@code file} if the file holds something else.
     *
     * @throws IOException when the file cannot be written; it is left as it was then
     */
    public synchronized Result save(Path file, ServerConfig running) throws IOException {
        ConfigNode written = written(file);
        String text = text(running, written, file);
        if (Files.exists(file) && text.equals(onDisk(file, written))) {
            return new Result(false, file, null);
        }
        Path[] backup = {null};
        AtomicFiles.write(file, text, () -> {
            if (Files.exists(file)) {
                backup[0] = backupName(file);
                Files.copy(file, backup[0], StandardCopyOption.COPY_ATTRIBUTES);
            }
        });
        return new Result(true, file, backup[0]);
    }

    /** The file's config as this writer would write it, or null when it cannot be read. */
    private String onDisk(Path file, ConfigNode written) {
        try {
            return text(reader.read(file), written, file);
        } catch (ConfigException | RuntimeException e) {
            return null;
        }
    }

    /** The tree of the file as written, or null when there is none or it cannot be read. */
    private ConfigNode written(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return loader.load(file);
        } catch (ConfigException | RuntimeException e) {
            return null;
        }
    }

    /** {@code config} as YAML, with the paths the file wrote relative kept relative. */
    private String text(ServerConfig config, ConfigNode written, Path file) {
        Map<String, Object> tree = yaml.tree(config);
        if (written == null) {
            return yaml.write(tree);
        }
        Path dir = file.toAbsolutePath().getParent();
        @SuppressWarnings("unchecked")
        Map<String, Object> kept = (Map<String, Object>) keepRelative(tree, written, dir);
        return yaml.write(kept);
    }

    /**
     * Walks the new tree beside the file's: where the file had a relative path (resolved against
     * the file's directory when read) and the new value is that same path made absolute, the
     * file's text is kept, so a saved config still moves with its directory.
     */
    static Object keepRelative(Object value, ConfigNode old, Path dir) {
        if (value instanceof Map<?, ?> map && old instanceof ConfigNode.MapNode oldMap) {
            Map<Object, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> {
                ConfigNode o = oldMap.entries().get(String.valueOf(k));
                out.put(k, o == null ? v : keepRelative(v, o, dir));
            });
            return out;
        }
        if (value instanceof List<?> list && old instanceof ConfigNode.ListNode oldList) {
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                out.add(i < oldList.items().size() ? keepRelative(list.get(i), oldList.items().get(i), dir) : list.get(i));
            }
            return out;
        }
        if (value instanceof String text && old instanceof ConfigNode.ScalarNode scalar) {
            return sameFile(scalar.text(), text, dir) ? scalar.text() : text;
        }
        return value;
    }

    /** Whether {@code relative}, resolved against {@code dir}, names {@code absolute}. */
    private static boolean sameFile(String relative, String absolute, Path dir) {
        if (relative.isBlank() || relative.equals(absolute) || dir == null) {
            return false;
        }
        try {
            Path r = Path.of(relative);
            Path a = Path.of(absolute);
            return !r.isAbsolute() && a.isAbsolute() && dir.resolve(r).normalize().equals(a.normalize());
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private Path backupName(Path file) {
        String base = file.getFileName() + "-" + LocalDateTime.now(clock).format(STAMP);
        Path backup = file.resolveSibling(base);
        for (int n = 1; Files.exists(backup); n++) {
            backup = file.resolveSibling(base + "-" + n);
        }
        return backup;
    }
}
