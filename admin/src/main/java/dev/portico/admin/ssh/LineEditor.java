package dev.portico.admin.ssh;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/**
 * A minimal line editor for a terminal: echo, backspace, Ctrl-C to drop the line, Ctrl-D to leave
 * on an empty line, TAB to complete (the common prefix of the candidates, or a list of them), and
 * escape sequences (arrow keys) swallowed. Fed one byte at a time.
 */
final class LineEditor {

    /** What a byte did. */
    enum Event { NONE, LINE, EOF }

    private final OutputStream out;
    private final Function<String, List<String>> completer;
    private final StringBuilder line = new StringBuilder();
    private final String prompt;
    private int escape;

    LineEditor(OutputStream out, String prompt, Function<String, List<String>> completer) {
        this.out = out;
        this.prompt = prompt;
        this.completer = completer;
    }

    void prompt() throws IOException {
        write(prompt);
        out.flush();
    }

    /** The finished line after {@link Event#LINE}; clears it. */
    String take() {
        String s = line.toString();
        line.setLength(0);
        return s;
    }

    Event feed(int b) throws IOException {
        if (escape > 0) {
            // ESC [ X or ESC O X: swallow up to the final byte.
            if (escape == 1 && (b == '[' || b == 'O')) {
                escape = 2;
            } else if (b >= 0x40 && b <= 0x7e) {
                escape = 0;
            }
            return Event.NONE;
        }
        switch (b) {
            case 0x1b -> escape = 1;
            case '\r', '\n' -> {
                write("\r\n");
                out.flush();
                return Event.LINE;
            }
            case 0x7f, 0x08 -> {
                if (!line.isEmpty()) {
                    line.setLength(line.length() - 1);
                    write("\b \b");
                }
            }
            case 0x03 -> {
                line.setLength(0);
                write("^C\r\n" + prompt);
            }
            case 0x04 -> {
                if (line.isEmpty()) {
                    write("\r\n");
                    out.flush();
                    return Event.EOF;
                }
            }
            case '\t' -> complete();
            default -> {
                if (b >= 0x20) {
                    line.append((char) b);
                    out.write(b);
                }
            }
        }
        out.flush();
        return Event.NONE;
    }

    private void complete() throws IOException {
        String text = line.toString();
        List<String> options = completer.apply(text);
        if (options.isEmpty()) {
            return;
        }
        String typed = text.isEmpty() || Character.isWhitespace(text.charAt(text.length() - 1)) ? ""
                : text.substring(text.lastIndexOf(' ') + 1);
        String common = options.get(0);
        for (String o : options) {
            int i = 0;
            while (i < common.length() && i < o.length() && common.charAt(i) == o.charAt(i)) {
                i++;
            }
            common = common.substring(0, i);
        }
        String add = common.length() > typed.length() ? common.substring(typed.length()) : "";
        if (options.size() == 1) {
            add += " ";
        }
        if (!add.isEmpty()) {
            line.append(add);
            write(add);
        } else if (options.size() > 1) {
            write("\r\n" + String.join("  ", options) + "\r\n" + prompt + line);
        }
    }

    private void write(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
    }
}
