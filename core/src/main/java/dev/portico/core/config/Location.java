package dev.portico.core.config;

/**
 * A place in a config file, as a person reads it: 1-based line and column.
 *
 * @param file   the file name as given on the command line, or a label such as {@code <builder>}
 * @param line   1-based line, or 0 when unknown
 * @param column 1-based column, or 0 when unknown
 */
public record Location(String file, int line, int column) {

    /** A location for values that did not come from a file (builders, flags). */
    public static Location of(String label) {
        return new Location(label, 0, 0);
    }

    @Override
    public String toString() {
        if (line <= 0) {
            return file;
        }
        return column > 0 ? file + ":" + line + ":" + column : file + ":" + line;
    }
}
