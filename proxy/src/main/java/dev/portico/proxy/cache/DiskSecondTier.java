package dev.portico.proxy.cache;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Predicate;

/** The {@link DiskTier} as a cache's {@link SecondTier}. */
public final class DiskSecondTier implements SecondTier {

    private final DiskTier disk;

    private DiskSecondTier(DiskTier disk) {
        this.disk = disk;
    }

    /** Opens (creating it when needed) the disk tier in {@code dir}. */
    public static SecondTier open(Path dir, long maxBytes) throws IOException {
        return new DiskSecondTier(DiskTier.open(dir, maxBytes));
    }

    @Override
    public Stored get(String key) throws IOException {
        DiskTier.Stored s = disk.get(key);
        return s == null ? null : new Stored(s.meta(), s.body());
    }

    @Override
    public void put(String key, byte[] meta, byte[] body) throws IOException {
        disk.put(key, meta, body);
    }

    @Override
    public boolean updateMeta(String key, byte[] meta) throws IOException {
        return disk.updateMeta(key, meta);
    }

    @Override
    public boolean remove(String key) throws IOException {
        return disk.remove(key);
    }

    @Override
    public int removeIf(Predicate<String> key) throws IOException {
        return disk.removeIf(key);
    }

    @Override
    public long bytes() {
        return disk.bytes();
    }

    @Override
    public long entries() {
        return disk.entries();
    }

    @Override
    public void close() throws IOException {
        disk.close();
    }
}
