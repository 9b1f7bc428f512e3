package dev.portico.proxy.cache;

import java.io.IOException;
import java.nio.file.Path;

/** Opens the persistent tier of a cache in a directory, bounded by bytes. */
@FunctionalInterface
public interface SecondTierFactory {

    SecondTier open(Path dir, long maxBytes) throws IOException;
}
