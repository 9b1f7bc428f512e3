package dev.portico.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes config trees (maps, lists, strings, numbers, booleans) as block YAML that
 * {@link YamlLoader} reads back: no document marker, quotes only where a plain scalar would
 * read differently. Comments are not kept: a file written here holds only its values.
 */
public final class YamlWriter {

    private final ObjectMapper mapper;

    /** A writer with two-space indentation and minimal quoting. */
    public YamlWriter() {
        YAMLFactory factory = YAMLFactory.builder()
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
                .build();
        this.mapper = new ObjectMapper(factory);
    }

    /** The tree as YAML text, ending with a newline. */
    public String write(Map<String, ?> tree) {
        try {
            return mapper.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write config as YAML: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * A copy of {@code full} without the entries whose value equals the one in {@code defaults},
     * looking into nested maps; nested maps left empty are dropped. {@code keep} names top-level
     * keys that stay even when they hold the default.
     */
    public static Map<String, Object> withoutDefaults(Map<String, Object> full, Map<String, Object> defaults,
                                                      List<String> keep) {
        Map<String, Object> out = new LinkedHashMap<>();
        full.forEach((key, value) -> {
            Object def = defaults.get(key);
            if (keep.contains(key)) {
                out.put(key, value);
            } else if (value instanceof Map<?, ?> m && def instanceof Map<?, ?> d) {
                @SuppressWarnings("unchecked")
                Map<String, Object> nested = withoutDefaults((Map<String, Object>) m, (Map<String, Object>) d, List.of());
                if (!nested.isEmpty()) {
                    out.put(key, nested);
                }
            } else if (!Objects.equals(value, def)) {
                out.put(key, value);
            }
        });
        return out;
    }
}
