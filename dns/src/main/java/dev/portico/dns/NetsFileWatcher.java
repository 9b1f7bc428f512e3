package dev.portico.dns;

import dev.portico.core.net.Cidr;
import dev.portico.upstream.Cancellable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Keeps a dynamic record's ranges in step with its {@code nets_file}: the file's size,
 * modification time and inode are looked at every poll interval (on the blocking executor), and
 * when they change the file is read again. A file with a bad line is logged with its
 * {@code file:line} and the ranges in use stay; so do they while the file is missing.
 */
final class NetsFileWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NetsFileWatcher.class);

    private record Stamp(long size, long modified, Object key) {
    }

    private final Path file;
    private final String record;
    private final Consumer<Map<Cidr, List<AddressSpec>>> apply;
    private final VariantContext context;
    private Stamp seen;
    private volatile boolean closed;
    private volatile Cancellable next;

    /**
     * @param file    the ranges file
     * @param record  the record's name, for logs
     * @param apply   takes each newly read set of ranges
     * @param context the timer and executor that poll the file
     */
    NetsFileWatcher(Path file, String record, Consumer<Map<Cidr, List<AddressSpec>>> apply, VariantContext context) {
        this.file = file;
        this.record = record;
        this.apply = apply;
        this.context = context;
    }

    /** Reads the file now if it changed since the last look; never throws. */
    synchronized void check() {
        Stamp stamp;
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            stamp = new Stamp(a.size(), a.lastModifiedTime().toMillis(), a.fileKey());
        } catch (NoSuchFileException e) {
            stamp = new Stamp(-1, -1, null);
        } catch (IOException e) {
            stamp = new Stamp(-2, -2, e.getMessage());
        }
        if (Objects.equals(stamp, seen)) {
            return;
        }
        seen = stamp;
        if (stamp.size() < 0) {
            log.error("dns {}: nets_file {} cannot be read ({}); keeping the ranges in use", record, file,
                    stamp.size() == -1 ? "no such file" : stamp.key());
            return;
        }
        try {
            Map<Cidr, List<AddressSpec>> nets = NetsFile.read(file);
            apply.accept(nets);
            log.info("dns {}: read {} ranges from {}", record, nets.size(), file);
        } catch (NetsFile.NetsFileException e) {
            log.error("dns {}: {}; keeping the ranges in use", record, e.getMessage());
        } catch (IOException | RuntimeException e) {
            log.error("dns {}: nets_file {} cannot be read ({}); keeping the ranges in use", record, file, e.toString());
        }
    }

    /** Starts polling, when the context can. */
    void start() {
        if (context.canWatch()) {
            schedule();
        }
    }

    private void schedule() {
        if (!closed) {
            next = context.timer().schedule(() -> {
                try {
                    context.blocking().execute(() -> {
                        if (!closed) {
                            check();
                            schedule();
                        }
                    });
                } catch (RejectedExecutionException e) {
                    closed = true;
                }
            }, context.pollInterval());
        }
    }

    @Override
    public void close() {
        closed = true;
        Cancellable c = next;
        if (c != null) {
            c.cancel();
        }
    }
}
