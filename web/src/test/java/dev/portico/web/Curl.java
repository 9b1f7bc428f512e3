package dev.portico.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the curl command line client with HTTP/2 prior knowledge (h2c) and reads what it got. */
final class Curl {

    /** One response: the protocol curl spoke, the status, the last head's fields (names lower case) and the body. */
    record Result(String protocol, int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private Curl() {
    }

    /** {@code curl --http2-prior-knowledge ARGS URL}, the body written to a file under {@code dir}. */
    static Result h2c(Path dir, String url, String... args) throws IOException, InterruptedException {
        Path body = Files.createTempFile(dir, "curl", ".body");
        Path head = Files.createTempFile(dir, "curl", ".head");
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--http2-prior-knowledge", "--max-time", "60",
                "-o", body.toString(), "-D", head.toString(), "-w", "%{http_version}"));
        cmd.addAll(List.of(args));
        cmd.add(url);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("curl did not finish: " + cmd);
        }
        if (p.exitValue() != 0) {
            throw new IOException("curl exited " + p.exitValue() + ": " + out);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        int status = 0;
        for (String line : Files.readAllLines(head, StandardCharsets.ISO_8859_1)) {
            if (line.startsWith("HTTP/")) {
                status = Integer.parseInt(line.split(" ")[1]);
                fields.clear();
            } else if (line.contains(":")) {
                int c = line.indexOf(':');
                fields.put(line.substring(0, c).trim().toLowerCase(Locale.ROOT), line.substring(c + 1).trim());
            }
        }
        byte[] bytes = Files.readAllBytes(body);
        Files.delete(body);
        Files.delete(head);
        return new Result(out, status, fields, bytes);
    }

    /** Runs a command (h2load, nghttp) and returns its output; fails on a non-zero exit. */
    static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("did not finish: " + cmd);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(cmd.get(0) + " exited " + p.exitValue() + ": " + text);
        }
        return text;
    }
}
