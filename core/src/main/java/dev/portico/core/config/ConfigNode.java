package dev.portico.core.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed config value that remembers where it came from, so that every error can name
 * file:line:column. Three shapes only: a mapping, a sequence and a scalar.
 */
public sealed interface ConfigNode permits ConfigNode.MapNode, ConfigNode.ListNode, ConfigNode.ScalarNode {

    /** Where this value starts. */
    Location location();

    /** A short noun for messages: "a mapping", "a list", "a value". */
    String kind();

    /** A mapping from keys to values, in file order. */
    record MapNode(Location location, Map<String, ConfigNode> entries, Map<String, Location> keyLocations)
            implements ConfigNode {
        public MapNode {
            entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
            keyLocations = Collections.unmodifiableMap(new LinkedHashMap<>(keyLocations));
        }

        @Override
        public String kind() {
            return "a mapping";
        }

        /** The location of a key, or of the mapping itself when the key is absent. */
        public Location keyLocation(String key) {
            return keyLocations.getOrDefault(key, location);
        }
    }

    /** A sequence of values. */
    record ListNode(Location location, List<ConfigNode> items) implements ConfigNode {
        public ListNode {
            items = List.copyOf(items);
        }

        @Override
        public String kind() {
            return "a list";
        }
    }

    /** A scalar; {@code text} is null for YAML's null (an empty value or {@code ~}). */
    record ScalarNode(Location location, String text) implements ConfigNode {
        @Override
        public String kind() {
            return "a value";
        }
    }
}
