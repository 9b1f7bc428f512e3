package dev.portico.server.cmd;

import dev.portico.core.config.ConfigException;
import dev.portico.filestore.FilestoreConfig;
import dev.portico.filestore.Layout;
import dev.portico.filestore.NodeRanges;
import dev.portico.filestore.Placement;
import dev.portico.filestore.StorePool;
import dev.portico.server.Cli;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServerConfigReader;
import dev.portico.server.config.ServiceSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code portico fs locate URL [-c FILE]}: prints the nodes that hold the copies of a file, as
 * the router computes them. The layout comes from the filestore services of a config file, or
 * from {@code --node}, {@code --redundancy} and {@code --region}.
 */
@Command(name = "locate", mixinStandardHelpOptions = true,
        description = {"Print the nodes holding the copies of a file in the distributed file store.",
                "Example: portico fs locate /_3fs_0/path/to/file -c portico.yaml",
                "Without a config: portico fs locate /_3fs_0/f --node 10.0.0.1-10:80"})
public final class FsLocateCommand implements Callable<Integer> {

    private final Cli cli;

    @Parameters(paramLabel = "URL", description = "A file's URL or path, such as /_3fs_0/path/to/file.")
    String url;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "The config file with filestore services.")
    Path config;

    @Option(names = "--service", paramLabel = "NAME", description = "Only this filestore service of the config.")
    String service;

    @Option(names = "--host", paramLabel = "HOST",
            description = "The Host whose pool to use (default: the URL's host, else the '*' pool).")
    String host;

    @Option(names = "--node", paramLabel = "HOST:PORT", description = "Stage 0's nodes, without a config (repeat).")
    List<String> nodes;

    @Option(names = "--redundancy", paramLabel = "N", defaultValue = "2", description = "Without a config: copies.")
    int redundancy;

    @Option(names = "--region", paramLabel = "N", defaultValue = "256", description = "Without a config: the region.")
    int region;

    @Option(names = "--prefix", paramLabel = "P", defaultValue = "_3fs", description = "Without a config: the prefix.")
    String prefix;

    public FsLocateCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        String path = url;
        String urlHost = null;
        if (url.contains("://")) {
            URI u;
            try {
                u = URI.create(url);
            } catch (IllegalArgumentException e) {
                cli.err().println("portico: '" + url + "' is not a URL: " + e.getMessage());
                return Cli.USAGE;
            }
            urlHost = u.getHost();
            path = u.getRawPath();
        }
        int q = path.indexOf('?');
        path = q < 0 ? path : path.substring(0, q);
        String poolHost = host != null ? host : urlHost;
        List<Located> stores = new ArrayList<>();
        if (config != null) {
            ServerConfig c;
            try {
                c = new ServerConfigReader(cli.types()).read(config);
            } catch (ConfigException e) {
                CheckCommand.printProblems(cli, e);
                return Cli.USAGE;
            }
            for (ServiceSpec s : c.services().values()) {
                if (s.config() instanceof FilestoreConfig fc && (service == null || service.equals(s.name()))) {
                    warnIfLayoutChanged(s.name(), fc, fc.stateDir() != null ? fc.stateDir() : c.stateDir());
                    stores.add(new Located(s.name(), fc.pool(poolHost == null ? FilestoreConfig.DEFAULT_POOL
                            : poolHost.toLowerCase(java.util.Locale.ROOT)), fc.redundancy(), fc.region(), fc.prefix()));
                }
            }
            if (stores.isEmpty()) {
                cli.err().println("portico: " + config + " has no filestore service"
                        + (service == null ? "" : " named '" + service + "'"));
                return Cli.FAILED;
            }
        } else {
            if (nodes == null || nodes.isEmpty()) {
                cli.err().println("portico: fs locate needs -c FILE or --node");
                return Cli.USAGE;
            }
            List<String> all = new ArrayList<>();
            try {
                for (String n : nodes) {
                    all.addAll(NodeRanges.expand(n));
                }
            } catch (IllegalArgumentException e) {
                cli.err().println("portico: --node: " + e.getMessage());
                return Cli.USAGE;
            }
            TreeMap<Integer, List<String>> stages = new TreeMap<>();
            stages.put(0, all);
            stores.add(new Located(null, new StorePool(FilestoreConfig.DEFAULT_POOL, stages, 0), redundancy, region,
                    prefix));
        }
        int status = 0;
        for (Located s : stores) {
            status = Math.max(status, s.print(path));
        }
        cli.out().flush();
        return status;
    }

    /**
     * Says so when the config's layout is not the one recorded in the service's state directory:
     * the router would refuse to start, and the nodes printed are not where its files are.
     */
    private void warnIfLayoutChanged(String name, FilestoreConfig fc, Path stateDir) {
        Path file = Layout.file(stateDir, name);
        try {
            Optional<Layout> stored = Layout.read(file);
            if (stored.isPresent() && !fc.force()) {
                for (String change : stored.get().changesIn(Layout.of(fc))) {
                    cli.err().println("portico: " + name + ": warning: " + change + " (the layout is recorded in "
                            + file + ")");
                }
            }
        } catch (java.io.IOException e) {
            cli.err().println("portico: " + name + ": warning: " + e.getMessage());
        }
    }

    /** One store's layout for the URL's Host. */
    private final class Located {
        private final String name;
        private final StorePool pool;
        private final int redundancy;
        private final int region;
        private final String prefix;

        Located(String name, StorePool pool, int redundancy, int region, String prefix) {
            this.name = name;
            this.pool = pool;
            this.redundancy = redundancy;
            this.region = region;
            this.prefix = prefix;
        }

        int print(String path) {
            String label = name == null ? "" : name + ": ";
            if (pool == null) {
                cli.err().println("portico: " + label + "no pool for host '" + host + "' and no '*' pool");
                return Cli.FAILED;
            }
            String marker = "/" + prefix;
            int stage;
            String filePath;
            if (path.startsWith(marker + "/")) {
                stage = pool.stage();
                filePath = path.substring(marker.length());
            } else if (path.startsWith(marker + "_")) {
                int slash = path.indexOf('/', marker.length());
                String digits = path.substring(marker.length() + 1, slash < 0 ? path.length() : slash);
                if (slash < 0 || digits.isEmpty() || !digits.chars().allMatch(Character::isDigit) || digits.length() > 7) {
                    cli.err().println("portico: " + label + "'" + path + "' has no stage number and file path");
                    return Cli.USAGE;
                }
                stage = Integer.parseInt(digits);
                filePath = path.substring(slash);
            } else {
                cli.err().println("portico: " + label + "'" + path + "' is outside the prefix " + marker
                        + " (such URLs go to any node)");
                return Cli.USAGE;
            }
            List<String> stageNodes = pool.nodes(stage);
            if (stageNodes == null) {
                cli.err().println("portico: " + label + "pool '" + pool.host() + "' has no stage " + stage);
                return Cli.FAILED;
            }
            String md5 = Placement.md5Hex(filePath.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            int[] idx;
            try {
                idx = Placement.locateHash(md5, region, stageNodes.size(), redundancy);
            } catch (IllegalArgumentException e) {
                cli.err().println("portico: " + label + e.getMessage());
                return Cli.FAILED;
            }
            cli.out().println(label + marker + "_" + stage + filePath + "  md5(" + filePath + ") = " + md5);
            for (int i = 0; i < idx.length; i++) {
                cli.out().println("  copy " + (i + 1) + ": " + stageNodes.get(idx[i]) + "  (node " + idx[i] + " of "
                        + stageNodes.size() + " in stage " + stage + ")");
            }
            return 0;
        }
    }
}
