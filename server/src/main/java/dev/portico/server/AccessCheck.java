package dev.portico.server;

import dev.portico.server.config.ServerConfig;
import dev.portico.server.control.AdminTokens;
import dev.portico.server.os.Privileges;
import dev.portico.web.WebConfig;
import dev.portico.web.WebServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * After the switch to {@code user}: whether the process can still read and write what the config
 * names and what it opens again later, checked with the process's own (new) credentials. The
 * config file is read again on SIGHUP, the access logs are opened again on SIGUSR1 (in their
 * directory, after a rotation), web roots are read on every request and written with WebDAV,
 * admin token files are read again on reload.
 */
final class AccessCheck {

    private final Privileges.Account account;

    AccessCheck(Privileges.Account account) {
        this.account = account;
    }

    /** The access log files the config names: the shared one and each web service's. */
    static List<Path> logFiles(ServerConfig config, List<Supervisor.Running> running) {
        List<Path> files = new ArrayList<>();
        if (config.accessLog() != null && !config.accessLog().equals("stdout")) {
            files.add(Path.of(config.accessLog()).toAbsolutePath());
        }
        for (Supervisor.Running r : running) {
            if (r.service() instanceof WebServer web && web.config().accessLog() != null) {
                files.add(web.config().accessLog().toAbsolutePath());
            }
        }
        return files;
    }

    /** One line per thing the user cannot use; empty when all is well. */
    List<String> check(ServerConfig config, Path configFile, List<Supervisor.Running> running,
                       List<AdminTokens.Resolved> tokens) {
        List<String> problems = new ArrayList<>();
        if (configFile != null) {
            readable(problems, configFile, "the config file (read again on SIGHUP)");
        }
        if (config.accessLog() != null && !config.accessLog().equals("stdout")) {
            writableFile(problems, Path.of(config.accessLog()), "access_log");
        }
        for (AdminTokens.Resolved t : tokens) {
            if (t.file() != null) {
                readable(problems, t.file(), "admin token file");
            }
        }
        for (Supervisor.Running r : running) {
            if (r.service() instanceof WebServer web) {
                web(problems, r.spec().name(), web.config());
            }
        }
        return problems;
    }

    private void web(List<String> problems, String name, WebConfig c) {
        String what = "service " + name + ": root";
        directory(problems, c.root(), what, c.webdav().enabled());
        c.hosts().forEach((host, root) -> directory(problems, root, "service " + name + ": hosts." + host,
                c.webdav().enabled()));
        if (c.accessLog() != null) {
            writableFile(problems, c.accessLog(), "service " + name + ": access_log");
        }
    }

    private void directory(List<String> problems, Path dir, String what, boolean write) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        if (!Files.isReadable(dir) || !Files.isExecutable(dir)) {
            problems.add(what + " " + dir + " is not readable by " + account.user());
        } else if (write && !Files.isWritable(dir)) {
            problems.add(what + " " + dir + " is not writable by " + account.user() + " (webdav writes into it)");
        }
    }

    private void readable(List<String> problems, Path file, String what) {
        if (!Files.isReadable(file)) {
            problems.add(what + " " + file + " is not readable by " + account.user());
        }
    }

    /** The file must be writable, and its directory too: reopening after a rotation makes a new file there. */
    private void writableFile(List<String> problems, Path file, String what) {
        Path abs = file.toAbsolutePath();
        if (Files.exists(abs) && !Files.isWritable(abs)) {
            problems.add(what + " " + abs + " is not writable by " + account.user());
        }
        Path dir = abs.getParent();
        if (dir != null && !Files.isWritable(dir)) {
            problems.add(what + ": directory " + dir + " is not writable by " + account.user()
                    + " (the log is made again there after a rotation)");
        }
    }
}
