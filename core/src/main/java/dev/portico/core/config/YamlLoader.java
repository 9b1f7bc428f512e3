package dev.portico.core.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads YAML into {@link ConfigNode}s that keep their file:line:column, so that later checks can
 * point at the exact place of a bad value. Duplicate keys are an error, not a silent overwrite.
 */
public final class YamlLoader {

    private final YAMLFactory factory = new YAMLFactory();

    /** Reads a file. */
    public ConfigNode load(Path file) throws ConfigException {
        String label = file.toString();
        try (Reader r = new StringReader(utf8(Files.readAllBytes(file), label))) {
            return parse(r, label);
        } catch (NoSuchFileException e) {
            throw new ConfigException(Location.of(label), "no such file");
        } catch (IOException e) {
            throw new ConfigException(Location.of(label), "cannot read: " + e.getMessage());
        }
    }

    /** Decodes a file's bytes; bytes that are not UTF-8 are an error at their line and column. */
    private static String utf8(byte[] bytes, String label) throws ConfigException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int bad = in.position();
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < bad; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            String what = bad < bytes.length ? "byte 0x%02x".formatted(bytes[bad] & 0xff) : "the last bytes";
            throw new ConfigException(new Location(label, line, bad - lineStart + 1),
                    "not UTF-8 (" + what + "); save the file as UTF-8");
        }
        return out.flip().toString();
    }

    /** Reads text; {@code label} names it in messages. */
    public ConfigNode load(String text, String label) throws ConfigException {
        try (Reader r = new StringReader(text)) {
            return parse(r, label);
        } catch (IOException e) {
            throw new ConfigException(Location.of(label), "cannot read: " + e.getMessage());
        }
    }

    private ConfigNode parse(Reader reader, String label) throws IOException, ConfigException {
        Problems problems = new Problems();
        try (JsonParser p = factory.createParser(reader)) {
            try {
                JsonToken t = p.nextToken();
                if (t == null) {
                    return new ConfigNode.MapNode(new Location(label, 1, 1), Map.of(), Map.of());
                }
                ConfigNode root = read(p, label, problems);
                problems.throwIfAny();
                return root;
            } catch (StreamConstraintsException e) {
                throw beyondLimits(label, e, p);
            }
        } catch (JsonParseException e) {
            JsonLocation l = e.getLocation();
            String msg = e.getOriginalMessage();
            int cut = msg.indexOf("\n");
            throw new ConfigException(at(label, l), "YAML syntax error: " + (cut > 0 ? msg.substring(0, cut) : msg));
        }
    }

    /** A config beyond the parser's limits (nesting depth above all), placed where the parser stopped. */
    private ConfigException beyondLimits(String label, StreamConstraintsException e, JsonParser p) {
        JsonLocation l = e.getLocation() != null && e.getLocation().getLineNr() > 0 ? e.getLocation() : p.currentLocation();
        int depth = factory.streamReadConstraints().getMaxNestingDepth();
        String msg = e.getOriginalMessage();
        return new ConfigException(at(label, l), msg.startsWith("Document nesting depth")
                ? "YAML nested deeper than " + depth + " levels"
                : "YAML beyond the parser's limits: " + msg);
    }

    private ConfigNode read(JsonParser p, String label, Problems problems) throws IOException {
        JsonToken t = p.currentToken();
        Location where = at(label, p.currentTokenLocation());
        switch (t) {
            case START_OBJECT -> {
                Map<String, ConfigNode> entries = new LinkedHashMap<>();
                Map<String, Location> keys = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    Location keyAt = at(label, p.currentTokenLocation());
                    p.nextToken();
                    ConfigNode value = read(p, label, problems);
                    if (entries.containsKey(key)) {
                        problems.add(keyAt, "duplicate key '" + key + "' (first at line " + keys.get(key).line() + ")");
                    } else {
                        entries.put(key, value);
                        keys.put(key, keyAt);
                    }
                }
                return new ConfigNode.MapNode(where, entries, keys);
            }
            case START_ARRAY -> {
                List<ConfigNode> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(read(p, label, problems));
                }
                return new ConfigNode.ListNode(where, items);
            }
            case VALUE_NULL -> {
                return new ConfigNode.ScalarNode(where, null);
            }
            default -> {
                return new ConfigNode.ScalarNode(where, p.getText());
            }
        }
    }

    private static Location at(String label, JsonLocation l) {
        if (l == null) {
            return Location.of(label);
        }
        return new Location(label, Math.max(l.getLineNr(), 0), Math.max(l.getColumnNr(), 0));
    }
}
