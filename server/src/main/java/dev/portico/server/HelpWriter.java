package dev.portico.server;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Wraps the help text that picocli lays out on one long line per entry, at spaces only. picocli
 * wraps at any line-break opportunity of {@link java.text.BreakIterator}, which splits
 * {@code ~/.portico/admin.token} after the dot and {@code HOST:PORT} after the colon; here a word
 * never breaks (a word longer than the line stands alone on it). Continuation lines are indented
 * under the text they continue: the synopsis under its first option, an option's description
 * under the description's first word (plus two, as picocli does).
 */
public final class HelpWriter extends Writer {

    /** The width help is laid out for: a classic terminal. */
    public static final int WIDTH = 80;
    /** The width picocli is given, so that it never wraps a line itself. */
    public static final int UNWRAPPED = 1000;

    /** An option or parameter row: indent, the names ({@code -h, --help}, {@code [ROOT]}), spaces, the description. */
    private static final Pattern ROW = Pattern.compile("^( +(?:-\\w, )?(?:-|\\[|<)\\S* +)\\S");
    private static final Pattern SYNOPSIS = Pattern.compile("^(Usage: (?:[^\\s\\[\\-<]+ )+)");

    private final Writer out;
    private final int width;
    private final StringBuilder line = new StringBuilder();

    public HelpWriter(Writer out, int width) {
        this.out = out;
        this.width = width;
    }

    /** A PrintWriter that wraps at {@link #WIDTH} and flushes on every line. */
    public static PrintWriter wrapping(Writer out) {
        return new PrintWriter(new HelpWriter(out, WIDTH), true);
    }

    @Override
    public void write(char[] buf, int off, int len) {
        for (int i = off; i < off + len; i++) {
            char c = buf[i];
            if (c == '\n') {
                emit();
            } else {
                line.append(c);
            }
        }
    }

    private void emit() {
        String l = line.toString();
        line.setLength(0);
        try {
            out.write(wrap(l, width));
            out.write('\n');
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code text} wrapped at spaces to {@code width} columns, continuation lines indented. */
    static String wrap(String text, int width) {
        String trimmedEnd = text.stripTrailing();
        if (trimmedEnd.length() <= width) {
            return trimmedEnd;
        }
        int indent;
        int start;
        Matcher row = ROW.matcher(trimmedEnd);
        Matcher synopsis = SYNOPSIS.matcher(trimmedEnd);
        if (synopsis.find()) {
            start = synopsis.end(1);
            indent = start;
        } else if (row.find()) {
            start = row.end(1);
            indent = start + 2;
        } else {
            start = trimmedEnd.length() - trimmedEnd.stripLeading().length();
            // a description under names too long to share its line is indented like one beside them
            indent = start >= 8 ? start + 2 : start;
        }
        if (indent > width / 2) {
            indent = Math.min(start, 8);
        }
        StringBuilder out = new StringBuilder(trimmedEnd.substring(0, start));
        int column = start;
        boolean first = true;
        for (String word : trimmedEnd.substring(start).split(" +")) {
            if (word.isEmpty()) {
                continue;
            }
            if (!first && column + 1 + word.length() > width) {
                out.append('\n').append(" ".repeat(indent)).append(word);
                column = indent + word.length();
            } else {
                if (!first) {
                    out.append(' ');
                    column++;
                }
                out.append(word);
                column += word.length();
            }
            first = false;
        }
        return out.toString();
    }

    @Override
    public void flush() {
        try {
            out.flush();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (!line.isEmpty()) {
            emit();
        }
        flush();
    }
}
