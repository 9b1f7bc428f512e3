package dev.portico.web.files;

import java.nio.file.Path;

/**
 * A document root as served: its number (part of cache keys) and its real path.
 *
 * @param id       small number unique within a service
 * @param realRoot the root with links resolved
 */
public record Site(int id, Path realRoot) {
}
