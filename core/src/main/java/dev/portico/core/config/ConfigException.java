package dev.portico.core.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A config that cannot be used. Its message lists every problem found, one a line, each
 * starting with file:line:column.
 */
public final class ConfigException extends Exception {

    private final List<Problem> problems;

    public ConfigException(List<Problem> problems) {
        super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public ConfigException(Location where, String message) {
        this(List.of(new Problem(where, message)));
    }

    /** The problems, in the order they were found. */
    public List<Problem> problems() {
        return problems;
    }

    /** One thing wrong with a config, at a place. */
    public record Problem(Location where, String message) {
        @Override
        public String toString() {
            return where + ": " + message;
        }
    }
}
