package dev.portico.server.threexsd;

/** The YAML being written by the importer, with notes about what was not converted. */
final class YamlOut {
    private final StringBuilder b = new StringBuilder();
    private final String source;

    /** @param source the old file's name, quoted in notes */
    YamlOut(String source) {
        this.source = source;
    }

    void line(String s) {
        b.append(s).append('\n');
    }

    /** A comment under a service saying why an option was not (or not fully) converted. */
    void note(IniFile.Entry e, String why) {
        line("    # " + e.key() + " = " + YamlText.comment(e.value()) + " (" + where(e.line()) + "): " + why);
    }

    /** {@code FILE line N} for comments. */
    String where(int line) {
        return YamlText.comment(source) + " line " + line;
    }

    @Override
    public String toString() {
        return b.toString();
    }
}
