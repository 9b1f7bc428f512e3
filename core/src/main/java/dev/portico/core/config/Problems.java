package dev.portico.core.config;

import java.util.ArrayList;
import java.util.List;

/** Collects config problems so that one check reports all of them, not just the first. */
public final class Problems {

    private final List<ConfigException.Problem> list = new ArrayList<>();

    public void add(Location where, String message) {
        list.add(new ConfigException.Problem(where, message));
    }

    public boolean isEmpty() {
        return list.isEmpty();
    }

    public List<ConfigException.Problem> list() {
        return List.copyOf(list);
    }

    /** Throws a {@link ConfigException} holding every problem, if there is any. */
    public void throwIfAny() throws ConfigException {
        if (!list.isEmpty()) {
            throw new ConfigException(list);
        }
    }
}
