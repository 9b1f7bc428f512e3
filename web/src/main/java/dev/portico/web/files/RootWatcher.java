package dev.portico.web.files;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Watches document roots (every directory below them) and reports each created, changed or
 * deleted path at once, so caches drop stale entries without waiting for a TTL. New directories
 * are watched as they appear; an overflow reports the root itself.
 */
public final class RootWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RootWatcher.class);

    private final WatchService service;
    private final Map<WatchKey, Path> dirs = new ConcurrentHashMap<>();
    private final Consumer<Path> onChange;
    private final Thread thread;

    /**
     * Starts watching.
     *
     * @param roots    real paths of the roots
     * @param onChange called with each changed path (from the watcher's thread)
     */
    public RootWatcher(List<Path> roots, Consumer<Path> onChange) throws IOException {
        this.service = FileSystems.getDefault().newWatchService();
        this.onChange = onChange;
        for (Path root : roots) {
            registerTree(root);
        }
        this.thread = Thread.ofPlatform().daemon().name("portico-root-watcher").start(this::run);
    }

    private void registerTree(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                WatchKey key = dir.register(service, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);
                dirs.put(key, dir);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private void run() {
        while (true) {
            WatchKey key;
            try {
                key = service.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            Path dir = dirs.get(key);
            for (WatchEvent<?> event : key.pollEvents()) {
                if (dir == null) {
                    continue;
                }
                if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                    onChange.accept(dir);
                    continue;
                }
                Path changed = dir.resolve((Path) event.context());
                if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE && Files.isDirectory(changed)) {
                    try {
                        registerTree(changed);
                    } catch (java.nio.file.NoSuchFileException e) {
                        // renamed or removed right after it was made: its own events say so
                        log.debug("new directory {} went away before it was watched", changed);
                    } catch (ClosedWatchServiceException e) {
                        // closed (the server stopped) while this event was handled
                        return;
                    } catch (IOException e) {
                        log.warn("cannot watch new directory {}: {}", changed, e.toString());
                    }
                }
                try {
                    onChange.accept(changed);
                } catch (RuntimeException e) {
                    log.warn("cache invalidation failed for {}", changed, e);
                }
            }
            if (!key.reset()) {
                dirs.remove(key);
            }
        }
    }

    @Override
    public void close() {
        try {
            service.close();
        } catch (IOException e) {
            log.debug("closing watch service: {}", e.toString());
        }
        thread.interrupt();
    }
}
