package dev.portico.filestore;

import dev.portico.core.config.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What placement depends on and must never change for a store's lifetime: redundancy, region and
 * each stage's sorted node list. Changing any of them moves most files of a stage to other nodes,
 * so the service keeps them in a state file, {@code <state_dir>/filestore/<service>.state}, and
 * refuses a config that differs (adding a stage or a pool is fine). The file is text:
 *
 * <pre>
 * redundancy 2
 * region 256
 * stage * 0 10.0.0.1:80 10.0.0.2:80 10.0.0.3:80
 * </pre>
 *
 * @param redundancy copies per file
 * @param region     the placement region
 * @param stages     Host key to stage number to sorted nodes
 */
public record Layout(int redundancy, int region, Map<String, TreeMap<Integer, List<String>>> stages) {

    /** The layout a config asks for. */
    public static Layout of(FilestoreConfig c) {
        Map<String, TreeMap<Integer, List<String>>> stages = new LinkedHashMap<>();
        for (StorePool p : c.pools().values()) {
            stages.put(p.host(), new TreeMap<>(p.stages()));
        }
        return new Layout(c.redundancy(), c.region(), stages);
    }

    /** Where a service keeps its layout. */
    public static Path file(Path stateDir, String service) {
        return stateDir.resolve("filestore").resolve(service + ".state");
    }

    /**
     * How {@code configured} departs from this stored layout: one sentence each, empty when it
     * only adds stages or pools.
     */
    public List<String> changesIn(Layout configured) {
        List<String> out = new ArrayList<>();
        String fix = "; placement depends on it, so it is fixed for the store's lifetime";
        if (configured.redundancy != redundancy) {
            out.add("redundancy was " + redundancy + " and is now " + configured.redundancy + fix);
        }
        if (configured.region != region) {
            out.add("region was " + region + " and is now " + configured.region + fix);
        }
        for (Map.Entry<String, TreeMap<Integer, List<String>>> pool : stages.entrySet()) {
            TreeMap<Integer, List<String>> now = configured.stages.get(pool.getKey());
            for (Map.Entry<Integer, List<String>> st : pool.getValue().entrySet()) {
                List<String> nodes = now == null ? null : now.get(st.getKey());
                if (nodes == null) {
                    out.add("pool '" + pool.getKey() + "' stage " + st.getKey() + " is gone; its files would "
                            + "no longer be found (it had " + String.join(", ", st.getValue()) + ")");
                } else if (!nodes.equals(st.getValue())) {
                    out.add("pool '" + pool.getKey() + "' stage " + st.getKey() + " had nodes "
                            + String.join(", ", st.getValue()) + " and now has " + String.join(", ", nodes)
                            + "; a changed node list moves most of the stage's files. Add the new nodes as a new "
                            + "stage instead (and make it the current one), or replace a dead node at the same "
                            + "address");
                }
            }
        }
        return out;
    }

    /** The text of the state file. */
    public String render() {
        StringBuilder b = new StringBuilder();
        b.append("# portico filestore layout: redundancy, region and each stage's nodes are fixed for the store's "
                + "lifetime\n");
        b.append("redundancy ").append(redundancy).append('\n');
        b.append("region ").append(region).append('\n');
        stages.forEach((host, st) -> st.forEach((n, nodes) ->
                b.append("stage ").append(host).append(' ').append(n).append(' ').append(String.join(" ", nodes))
                        .append('\n')));
        return b.toString();
    }

    /**
     * Reads a state file.
     *
     * @return empty when there is none
     * @throws IOException when it cannot be read or is not a layout
     */
    public static Optional<Layout> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        int redundancy = -1;
        int region = -1;
        Map<String, TreeMap<Integer, List<String>>> stages = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            String s = line.strip();
            if (s.isEmpty() || s.startsWith("#")) {
                continue;
            }
            String[] f = s.split("\\s+");
            try {
                switch (f[0]) {
                    case "redundancy" -> redundancy = Integer.parseInt(f[1]);
                    case "region" -> region = Integer.parseInt(f[1]);
                    case "stage" -> stages.computeIfAbsent(f[1], k -> new TreeMap<>())
                            .put(Integer.parseInt(f[2]), List.of(f).subList(3, f.length));
                    default -> throw new IOException(file + ":" + lineNo + ": unknown entry '" + f[0] + "'");
                }
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                throw new IOException(file + ":" + lineNo + ": not a layout line: " + s);
            }
        }
        if (redundancy < 1 || region < 1) {
            throw new IOException(file + ": no redundancy or region");
        }
        return Optional.of(new Layout(redundancy, region, stages));
    }

    /** This layout with the pools and stages of {@code configured} that it lacks added. */
    public Layout plus(Layout configured) {
        Map<String, TreeMap<Integer, List<String>>> merged = new LinkedHashMap<>();
        stages.forEach((h, st) -> merged.put(h, new TreeMap<>(st)));
        configured.stages.forEach((h, st) -> {
            TreeMap<Integer, List<String>> into = merged.computeIfAbsent(h, k -> new TreeMap<>());
            st.forEach(into::putIfAbsent);
        });
        return new Layout(redundancy, region, merged);
    }

    /**
     * Checks a config against the state file and records what it adds: the layout in force from
     * now on. With {@code force}, the config's layout replaces the stored one.
     *
     * @throws LayoutChanged when the config changes the stored layout and {@code force} is off
     * @throws IOException   when the state file cannot be read or written
     */
    public static void reconcile(Path file, FilestoreConfig config) throws IOException, LayoutChanged {
        Layout wanted = of(config);
        Optional<Layout> stored = read(file);
        Layout next = wanted;
        if (stored.isPresent() && !config.force()) {
            List<String> changes = stored.get().changesIn(wanted);
            if (!changes.isEmpty()) {
                throw new LayoutChanged(file, changes);
            }
            next = stored.get().plus(wanted);
        }
        if (stored.isEmpty() || !stored.get().equals(next)) {
            Files.createDirectories(file.getParent());
            AtomicFiles.write(file, next.render());
        }
    }

    /** A config that changes a stored layout. */
    public static final class LayoutChanged extends Exception {
        private final List<String> changes;

        public LayoutChanged(Path file, List<String> changes) {
            super("the layout differs from " + file + ": " + String.join("; ", changes)
                    + " (force: true, or --force, overrides)");
            this.changes = List.copyOf(changes);
        }

        public List<String> changes() {
            return changes;
        }
    }
}
