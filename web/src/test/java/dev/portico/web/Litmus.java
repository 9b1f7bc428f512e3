package dev.portico.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs one suite of the litmus WebDAV test program and reads its summary. */
final class Litmus {

    private static final Pattern SUMMARY = Pattern.compile("of (\\d+) tests run: (\\d+) passed, (\\d+) failed");

    record Result(int run, int passed, int failed, String output) {
    }

    private Litmus() {
    }

    static boolean installed() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "litmus"))) {
                return true;
            }
        }
        return false;
    }

    static Result run(String suite, String url, Path workDir, String... credentials) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("litmus", url));
        cmd.addAll(List.of(credentials));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true);
        pb.environment().put("TESTS", suite);
        Path log = workDir.resolve("litmus.out");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("litmus did not finish in 60 s:\n" + Files.readString(log));
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Matcher m = SUMMARY.matcher(out);
        if (!m.find()) {
            return new Result(0, 0, Integer.MAX_VALUE, out);
        }
        return new Result(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), out);
    }
}
