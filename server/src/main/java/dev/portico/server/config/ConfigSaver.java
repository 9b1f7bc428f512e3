package dev.portico.server.config;

import dev.portico.core.config.AtomicFiles;
import dev.portico.core.config.ConfigException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Objects;

/**
 * Writes the running config back to its file, as txLoadBalancer's {@code saveConfig} did, but
 * safely: only when the file, read again, holds a different config; then the old file is kept
 * as {@code FILE-yyyyMMddHHmmss}, the new text goes to a temporary file in the same directory,
 * is flushed to disk and renamed over the file. A reader never sees a half-written file.
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
        String text = yaml.write(running);
        if (Files.exists(file) && text.equals(onDisk(file))) {
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
    private String onDisk(Path file) {
        try {
            return yaml.write(reader.read(file));
        } catch (ConfigException | RuntimeException e) {
            return null;
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
