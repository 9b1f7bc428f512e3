package dev.portico.proxy.cache;

import java.util.regex.Pattern;

/**
 * A lazy invalidation: entries stored at or before {@code createdAt} whose key starts with the
 * prefix (or matches the regex) are treated as absent when next looked up.
 *
 * @param prefix    a key prefix, or null
 * @param regex     a regular expression searched in the key, or null
 * @param createdAt when the ban was made (epoch ms)
 */
public record Ban(String prefix, Pattern regex, long createdAt) {

    public Ban {
        if ((prefix == null) == (regex == null)) {
            throw new IllegalArgumentException("a ban needs a prefix or a regex");
        }
    }

    /** True when an entry stored at {@code storedAt} under {@code key} is banned. */
    public boolean bans(String key, long storedAt) {
        if (storedAt > createdAt) {
            return false;
        }
        return prefix != null ? key.startsWith(prefix) : regex.matcher(key).find();
    }

    /** "prefix:..." or "regex:...", for listings. */
    public String describe() {
        return prefix != null ? "prefix:" + prefix : "regex:" + regex.pattern();
    }
}
