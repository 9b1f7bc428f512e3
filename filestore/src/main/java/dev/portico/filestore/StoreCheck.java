package dev.portico.filestore;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.portico.core.config.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code portico fs check}: walks every node of a store with PROPFIND (Depth 1, collection by
 * collection, under each stage's {@code /<prefix>_<stage>/}) and compares what is there with what
 * placement says:
 * <ul>
 *   <li><b>missing</b>: a node placement gives a file lacks its copy;</li>
 *   <li><b>misplaced</b>: a node placement does not give a file holds a copy;</li>
 *   <li><b>differing</b>: the copies' SHA-256 differ and the router's handoff journal says which
 *       node is behind (it missed a write);</li>
 *   <li><b>conflict</b>: the copies differ and nothing orders them; the check does not guess;</li>
 *   <li><b>deleted</b>: copies of a file the journal holds a tombstone for;</li>
 *   <li><b>unreadable</b>: a node that could not be asked.</li>
 * </ul>
 * Digests come from a node's {@code Repr-Digest} when it gives one, else from reading the copy.
 * The result is also written to {@code <state_dir>/filestore/<service>.check.json}, where the
 * running service reads it for the admin view.
 */
public final class StoreCheck {

    /** One finding. */
    public enum Kind { MISSING, MISPLACED, DIFFERING, CONFLICT, DELETED, UNREADABLE }

    /**
     * One finding about one file.
     *
     * @param kind    what is wrong
     * @param pool    the pool's Host key
     * @param uri     the file's staged path, {@code /<prefix>_<stage>/<path>}
     * @param nodes   the nodes at fault: lacking the copy, holding it wrongly, behind, in conflict
     * @param good    the nodes holding the copy to trust (empty when there is none)
     * @param digest  the SHA-256 (base64) of the good copy, or null
     * @param digests each node's digest, for differing copies and conflicts
     * @param detail  a sentence for people
     */
    public record Problem(Kind kind, String pool, String uri, List<String> nodes, List<String> good, String digest,
                          Map<String, String> digests, String detail) {
    }

    /**
     * What a check found.
     *
     * @param service   the filestore service
     * @param finished  when it ended (epoch milliseconds)
     * @param nodes     nodes walked
     * @param files     distinct files seen
     * @param copies    copies seen
     * @param counts    findings by kind
     * @param problems  every finding, by pool and path
     */
    public record Result(String service, long finished, int nodes, long files, long copies, Map<Kind, Integer> counts,
                         List<Problem> problems) {
        /** Whether the store is as placement says, every copy alike. */
        public boolean clean() {
            return problems.isEmpty();
        }
    }

    /** Told how far the check is, for a progress bar. */
    public interface Progress {
        void at(long done, long total, String phase);

        Progress NONE = (d, t, p) -> {
        };
    }

    private final String service;
    private final FilestoreConfig config;
    private final Path stateDir;
    private final NodeClient client;

    /**
     * @param service  the filestore service's name (its journal and check record are named after it)
     * @param config   its config
     * @param stateDir its state directory (the service's own, else the top-level one)
     */
    public StoreCheck(String service, FilestoreConfig config, Path stateDir) {
        this.service = service;
        this.config = config;
        this.stateDir = stateDir;
        this.client = new NodeClient(config.connectTimeout(), config.responseTimeout());
    }

    NodeClient client() {
        return client;
    }

    /** Where the last check's result is kept. */
    public static Path resultFile(Path stateDir, String service) {
        return stateDir.resolve("filestore").resolve(service + ".check.json");
    }

    /** The pools a check covers: the one for {@code host}, or all of them when null. */
    List<StorePool> pools(String host) {
        if (host == null) {
            return List.copyOf(config.pools().values());
        }
        StorePool p = config.pool(host.toLowerCase(java.util.Locale.ROOT));
        return p == null ? List.of() : List.of(p);
    }

    /**
     * Walks the nodes and compares the copies.
     *
     * @param host the Host whose pool to check, or null for every pool
     */
    public Result run(String host, Progress progress) throws IOException {
        HandoffJournal.Loaded journal = HandoffJournal.load(HandoffJournal.file(stateDir, service));
        List<Problem> problems = new ArrayList<>();
        Set<String> walked = new LinkedHashSet<>();
        long files = 0;
        long copies = 0;
        for (StorePool pool : pools(host)) {
            // path -> node -> present; every node of the pool may hold a stray copy of any stage
            List<String> all = pool.union();
            Map<String, Set<String>> seen = new TreeMap<>();
            Set<String> unreadable = new LinkedHashSet<>();
            long steps = (long) all.size() * pool.stages().size();
            long step = 0;
            for (int stage : pool.stages().keySet()) {
                String top = Router.stagedUri(config, stage, "/");
                for (String node : all) {
                    progress.at(step++, steps, "listing " + node + top);
                    walked.add(node);
                    try {
                        walk(node, top, seen);
                    } catch (IOException e) {
                        unreadable.add(node);
                        problems.add(new Problem(Kind.UNREADABLE, pool.host(), top, List.of(node), List.of(), null,
                                Map.of(), node + " could not be listed: " + e.getMessage()));
                    }
                }
            }
            long done = 0;
            for (Map.Entry<String, Set<String>> f : seen.entrySet()) {
                progress.at(done++, seen.size(), "comparing copies");
                files++;
                copies += f.getValue().size();
                compare(pool, f.getKey(), f.getValue(), unreadable, journal, problems);
            }
            progress.at(seen.size(), seen.size(), "done");
        }
        Map<Kind, Integer> counts = new LinkedHashMap<>();
        for (Kind k : Kind.values()) {
            counts.put(k, 0);
        }
        for (Problem p : problems) {
            counts.merge(p.kind(), 1, Integer::sum);
        }
        Result r = new Result(service, System.currentTimeMillis(), walked.size(), files, copies, counts,
                List.copyOf(problems));
        save(r);
        return r;
    }

    private void walk(String node, String collection, Map<String, Set<String>> seen) throws IOException {
        for (NodeClient.Listing l : client.list(node, collection)) {
            if (l.collection()) {
                walk(node, l.href().endsWith("/") ? l.href() : l.href() + "/", seen);
            } else {
                seen.computeIfAbsent(l.href(), k -> new LinkedHashSet<>()).add(node);
            }
        }
    }

    /** The findings about one file: {@code uri} is the staged path, {@code holders} the nodes that have it. */
    private void compare(StorePool pool, String uri, Set<String> holders, Set<String> unreadable,
                         HandoffJournal.Loaded journal, List<Problem> out) {
        StorePath p = StorePath.parse(uri, config.prefix());
        if (p.kind() != StorePath.Kind.STAGED || pool.nodes(p.stage()) == null) {
            return; // not a file of the store (a path the router would refuse, or a stage no longer configured)
        }
        List<String> expected = Router.replicas(config, pool, p.stage(), p.filePath());
        if (journal.tombstone(uri).isPresent()) {
            out.add(new Problem(Kind.DELETED, pool.host(), uri, List.copyOf(holders), List.of(), null, Map.of(),
                    "deleted (a tombstone in the handoff journal) but still on " + String.join(", ", holders)));
            return;
        }
        List<String> present = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String n : expected) {
            if (holders.contains(n)) {
                present.add(n);
            } else if (!unreadable.contains(n)) {
                missing.add(n); // a node that could not be listed is reported once, as unreadable
            }
        }
        List<String> misplaced = new ArrayList<>();
        for (String n : holders) {
            if (!expected.contains(n)) {
                misplaced.add(n);
            }
        }
        // the copies to compare: those in their right places, else the stray ones
        List<String> compared = present.isEmpty() ? misplaced : present;
        Map<String, String> digests = new TreeMap<>();
        for (String n : compared) {
            try {
                Optional<String> d = client.digest(n, uri);
                if (d.isPresent()) {
                    digests.put(n, d.get());
                } else if (present.remove(n)) {
                    missing.add(n); // gone since the listing
                }
            } catch (IOException e) {
                out.add(new Problem(Kind.UNREADABLE, pool.host(), uri, List.of(n), List.of(), null, Map.of(),
                        "the copy on " + n + " could not be read: " + e.getMessage()));
                return;
            }
        }
        Set<String> distinct = new LinkedHashSet<>(digests.values());
        List<String> good = new ArrayList<>(digests.keySet());
        String goodDigest = distinct.size() == 1 ? distinct.iterator().next() : null;
        if (distinct.size() > 1) {
            List<String> behind = new ArrayList<>();
            Set<String> current = new LinkedHashSet<>();
            for (Map.Entry<String, String> d : digests.entrySet()) {
                if (journal.stale(d.getKey(), uri)) {
                    behind.add(d.getKey());
                } else {
                    current.add(d.getValue());
                }
            }
            if (current.size() == 1 && !behind.isEmpty()) {
                goodDigest = current.iterator().next();
                good = new ArrayList<>();
                List<String> stale = new ArrayList<>();
                for (Map.Entry<String, String> d : digests.entrySet()) {
                    (d.getValue().equals(goodDigest) && !behind.contains(d.getKey()) ? good : stale).add(d.getKey());
                }
                out.add(new Problem(Kind.DIFFERING, pool.host(), uri, stale, good, goodDigest, digests,
                        "the copies differ; the handoff journal says " + String.join(", ", stale)
                                + " missed a write, so the copy on " + String.join(", ", good) + " is newer"));
            } else {
                out.add(new Problem(Kind.CONFLICT, pool.host(), uri, List.copyOf(digests.keySet()), List.of(), null,
                        digests, "the copies differ and nothing says which is newer: " + digests));
                return;
            }
        }
        if (!missing.isEmpty()) {
            out.add(new Problem(Kind.MISSING, pool.host(), uri, missing, good, goodDigest, Map.of(),
                    "no copy on " + String.join(", ", missing) + (good.isEmpty() ? "" : "; " + String.join(", ", good)
                            + " " + (good.size() == 1 ? "has" : "have") + " it")));
        }
        if (!misplaced.isEmpty()) {
            out.add(new Problem(Kind.MISPLACED, pool.host(), uri, misplaced, List.copyOf(expected), goodDigest,
                    Map.of(), "a copy on " + String.join(", ", misplaced) + ", where placement does not put it ("
                            + "its nodes are " + String.join(", ", expected) + ")"));
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A result as JSON. */
    public static String json(Result r) throws IOException {
        return JSON.writeValueAsString(r);
    }

    private void save(Result r) throws IOException {
        Path f = resultFile(stateDir, service);
        Files.createDirectories(f.getParent());
        AtomicFiles.write(f, json(r));
    }

    /** The last check's result, if a check has run. */
    public static Optional<Result> last(Path stateDir, String service) {
        Path f = resultFile(stateDir, service);
        try {
            return Files.exists(f) ? Optional.of(JSON.readValue(f.toFile(), Result.class)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** One line per finding, then the counts. */
    public static List<String> text(Result r) {
        List<String> out = new ArrayList<>();
        for (Problem p : r.problems()) {
            out.add(p.kind().name().toLowerCase(java.util.Locale.ROOT) + " " + p.uri()
                    + (p.pool().equals(FilestoreConfig.DEFAULT_POOL) ? "" : " (pool " + p.pool() + ")") + ": "
                    + p.detail());
        }
        StringBuilder b = new StringBuilder(r.service() + ": " + r.files() + " files, " + r.copies() + " copies on "
                + r.nodes() + " nodes");
        r.counts().forEach((k, n) -> b.append(", ").append(n).append(' ').append(k.name().toLowerCase(java.util.Locale.ROOT)));
        out.add(b.toString());
        return out;
    }

    public void close() {
        client.close();
    }
}
