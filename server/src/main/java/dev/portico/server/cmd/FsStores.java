package dev.portico.server.cmd;

import dev.portico.core.config.ConfigException;
import dev.portico.filestore.FilestoreConfig;
import dev.portico.server.Cli;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServerConfigReader;
import dev.portico.server.config.ServiceSpec;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The filestore services of a config file, each with the state directory it keeps its layout,
 * journal and check records in: its own {@code state_dir}, else the file's top-level one.
 */
final class FsStores {

    /**
     * One filestore service.
     *
     * @param name     its key under {@code services:}
     * @param config   its config
     * @param stateDir where its state lives
     */
    record Store(String name, FilestoreConfig config, Path stateDir) {
    }

    private FsStores() {
    }

    /**
     * Reads the config file and picks its filestore services.
     *
     * @return the services, or null after printing why there are none
     */
    static List<Store> read(Cli cli, Path file, String service) {
        ServerConfig c;
        try {
            c = new ServerConfigReader(cli.types()).read(file);
        } catch (ConfigException e) {
            CheckCommand.printProblems(cli, e);
            return null;
        }
        List<Store> out = new ArrayList<>();
        for (ServiceSpec s : c.services().values()) {
            if (s.config() instanceof FilestoreConfig fc && (service == null || service.equals(s.name()))) {
                out.add(new Store(s.name(), fc, fc.stateDir() != null ? fc.stateDir() : c.stateDir()));
            }
        }
        if (out.isEmpty()) {
            cli.err().println("portico: " + file + " has no filestore service"
                    + (service == null ? "" : " named '" + service + "'"));
            return null;
        }
        return out;
    }

    /** Whether the process's standard output is a terminal (progress bars only then). */
    static boolean terminal() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    /** A progress bar redrawn in place on {@code out}: {@code [#####.....] 50% phase}. */
    static void bar(PrintStream out, long done, long total, String phase) {
        int width = 30;
        int filled = total <= 0 ? width : (int) Math.min(width, done * width / total);
        String text = "\r[" + "#".repeat(filled) + ".".repeat(width - filled) + "] "
                + (total <= 0 ? 100 : done * 100 / total) + "% " + phase;
        out.print(text.length() > 100 ? text.substring(0, 100) : text + " ".repeat(100 - text.length()));
        out.flush();
    }

    /** Ends a progress bar's line. */
    static void endBar(PrintStream out) {
        out.print("\r" + " ".repeat(101) + "\r");
        out.flush();
    }
}
