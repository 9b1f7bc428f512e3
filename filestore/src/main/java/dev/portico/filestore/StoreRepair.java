package dev.portico.filestore;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.core.config.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code portico fs repair}: carries out what a check found, at most {@code rate} actions a
 * second. A missing copy is copied from a good one; a copy the handoff journal says is behind is
 * replaced by the newer one; copies of a file with a tombstone are deleted; with
 * {@code deleteMisplaced}, a stray copy is deleted once every node placement gives the file holds
 * it. Conflicts (copies that differ with nothing to order them) are left alone unless nodes are
 * named {@code suspect}: then the copies on those nodes lose to the others, when the others agree.
 *
 * <p>Every action looks again just before it acts: a target that changed since the check (a client
 * wrote it) is not overwritten, a source whose copy changed is not used, a file whose tombstone
 * has gone is not deleted. So a repair never puts an older copy over a newer one, and may run
 * while clients write.
 *
 * <p>It is resumable: the plan (the check's findings) and how far it got are kept in
 * {@code <state_dir>/filestore/<service>.repair.json}; a repair started while an unfinished plan
 * is there continues it instead of walking the nodes again ({@code fresh} walks anyway).
 */
public final class StoreRepair {

    /**
     * Where a repair stands: its plan and how many of its findings are dealt with.
     *
     * @param service  the filestore service
     * @param started  when the plan was made (epoch milliseconds)
     * @param updated  when this record was written
     * @param done     findings dealt with (acted on or skipped)
     * @param total    findings in the plan
     * @param repaired copies made or deleted
     * @param skipped  findings left alone (conflicts, changed since the check, misplaced copies kept)
     * @param failed   actions a node refused or that could not reach it
     * @param finished whether the plan is done
     * @param plan     the findings, in order
     */
    public record Progress(String service, long started, long updated, int done, int total, int repaired,
                           int skipped, int failed, boolean finished, List<StoreCheck.Problem> plan) {
    }

    /**
     * How to repair.
     *
     * @param rate            actions a second at most
     * @param deleteMisplaced delete stray copies once their right places hold the file
     * @param suspects        nodes whose copies lose conflicts
     * @param fresh           walk the nodes again even when an unfinished plan is kept
     */
    public record Options(double rate, boolean deleteMisplaced, Set<String> suspects, boolean fresh) {
        public Options {
            if (!(rate > 0)) {
                throw new IllegalArgumentException("the rate must be more than 0 a second");
            }
            suspects = Set.copyOf(suspects);
        }
    }

    /** Told of each finding dealt with. */
    public interface Listener {
        void acted(StoreCheck.Problem p, String outcome, int done, int total);
    }

    /** Actions a second of a repair started without a rate (the admin console's {@code repair}), as {@code fs repair}'s default. */
    public static final double DEFAULT_RATE = 50;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String service;
    private final FilestoreConfig config;
    private final Path stateDir;
    private final StoreCheck check;
    private final NodeClient client;
    private HandoffJournal.Loaded journal;
    private long journalReadNanos;
    private long nextSlot;

    public StoreRepair(String service, FilestoreConfig config, Path stateDir) {
        this.service = service;
        this.config = config;
        this.stateDir = stateDir;
        this.check = new StoreCheck(service, config, stateDir);
        this.client = check.client();
    }

    /** Where a repair keeps its plan and progress. */
    public static Path progressFile(Path stateDir, String service) {
        return stateDir.resolve("filestore").resolve(service + ".repair.json");
    }

    /** The last repair's progress, if one has run. */
    public static Optional<Progress> last(Path stateDir, String service) {
        Path f = progressFile(stateDir, service);
        try {
            return Files.exists(f) ? Optional.of(JSON.readValue(f.toFile(), Progress.class)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Repairs the store: continues an unfinished plan, else checks first.
     *
     * @param host the Host whose pool to repair, or null for every pool
     */
    public Progress run(String host, Options options, StoreCheck.Progress checking, Listener listener)
            throws IOException {
        Optional<Progress> kept = last(stateDir, service);
        Progress p;
        if (kept.isPresent() && !kept.get().finished() && !options.fresh()) {
            p = kept.get();
        } else {
            StoreCheck.Result r = check.run(host, checking);
            long now = System.currentTimeMillis();
            p = new Progress(service, now, now, 0, r.problems().size(), 0, 0, 0, false, r.problems());
            save(p);
        }
        long lastSave = System.nanoTime();
        int done = p.done();
        int repaired = p.repaired();
        int skipped = p.skipped();
        int failed = p.failed();
        for (int i = done; i < p.plan().size(); i++) {
            StoreCheck.Problem problem = p.plan().get(i);
            String outcome;
            try {
                Outcome o = act(problem, options);
                outcome = o.text;
                switch (o.kind) {
                    case REPAIRED -> repaired++;
                    case SKIPPED -> skipped++;
                    case FAILED -> failed++;
                }
            } catch (IOException e) {
                failed++;
                outcome = "failed: " + e.getMessage();
            }
            done = i + 1;
            listener.acted(problem, outcome, done, p.total());
            if (System.nanoTime() - lastSave > 1_000_000_000L || done == p.plan().size()) {
                save(new Progress(service, p.started(), System.currentTimeMillis(), done, p.total(), repaired, skipped,
                        failed, false, p.plan()));
                lastSave = System.nanoTime();
            }
        }
        Progress end = new Progress(service, p.started(), System.currentTimeMillis(), done, p.total(), repaired,
                skipped, failed, true, p.plan());
        save(end);
        return end;
    }

    private enum Result { REPAIRED, SKIPPED, FAILED }

    private record Outcome(Result kind, String text) {
        static Outcome repaired(String text) {
            return new Outcome(Result.REPAIRED, text);
        }

        static Outcome skipped(String text) {
            return new Outcome(Result.SKIPPED, text);
        }

        static Outcome failed(String text) {
            return new Outcome(Result.FAILED, text);
        }
    }

    private Outcome act(StoreCheck.Problem p, Options options) throws IOException {
        return switch (p.kind()) {
            case MISSING -> copyTo(p, p.nodes(), p.good(), p.digest(), null, options);
            case DIFFERING -> copyTo(p, p.nodes(), p.good(), p.digest(), p.digests(), options);
            case CONFLICT -> conflict(p, options);
            case DELETED -> deleteTombstoned(p, options);
            case MISPLACED -> options.deleteMisplaced() ? deleteMisplaced(p, options)
                    : Outcome.skipped("kept (--delete-misplaced removes it)");
            case UNREADABLE -> Outcome.skipped("not repaired: " + p.detail());
        };
    }

    /**
     * Copies the good copy to {@code targets}. {@code was} holds what each target had at the check
     * (null: nothing); a target that holds something else now was written since, and is left alone.
     */
    private Outcome copyTo(StoreCheck.Problem p, List<String> targets, List<String> sources, String digest,
                           Map<String, String> was, Options options) throws IOException {
        if (tombstoned(p.uri())) {
            return Outcome.skipped("deleted since the check (a tombstone): not copied");
        }
        String source = null;
        for (String s : sources) {
            Optional<String> d = client.digest(s, p.uri());
            if (d.isPresent() && (digest == null || d.get().equals(digest))) {
                source = s;
                digest = d.get();
                break;
            }
        }
        if (source == null) {
            return Outcome.skipped("no good copy left to copy from (changed since the check)");
        }
        List<String> made = new ArrayList<>();
        List<String> left = new ArrayList<>();
        for (String target : targets) {
            Optional<String> now = client.digest(target, p.uri());
            String before = was == null ? null : was.get(target);
            if (now.isPresent() && (before == null || !now.get().equals(before))) {
                left.add(target + " (written since the check)");
                continue;
            }
            if (now.isEmpty() && before != null) {
                left.add(target + " (deleted since the check)");
                continue;
            }
            pace(options);
            client.copy(source, target, p.uri());
            made.add(target);
        }
        if (made.isEmpty()) {
            return Outcome.skipped("left alone: " + String.join(", ", left));
        }
        return Outcome.repaired("copied from " + source + " to " + String.join(", ", made)
                + (left.isEmpty() ? "" : "; left alone: " + String.join(", ", left)));
    }

    private Outcome conflict(StoreCheck.Problem p, Options options) throws IOException {
        List<String> suspect = new ArrayList<>();
        List<String> trusted = new ArrayList<>();
        for (String n : p.digests().keySet()) {
            (options.suspects().contains(n) ? suspect : trusted).add(n);
        }
        String agreed = null;
        for (String n : trusted) {
            String d = p.digests().get(n);
            if (agreed != null && !agreed.equals(d)) {
                return Outcome.skipped("conflict: the copies not on a suspect node differ too");
            }
            agreed = d;
        }
        if (suspect.isEmpty() || agreed == null) {
            return Outcome.skipped("conflict: nothing says which copy is newer (--suspect NODE names a node "
                    + "whose copies lose)");
        }
        List<String> replace = new ArrayList<>();
        for (String n : suspect) {
            if (!p.digests().get(n).equals(agreed)) {
                replace.add(n);
            }
        }
        return copyTo(p, replace, trusted, agreed, p.digests(), options);
    }

    private Outcome deleteTombstoned(StoreCheck.Problem p, Options options) throws IOException {
        if (!tombstoned(p.uri())) {
            return Outcome.skipped("no longer deleted (written again since the check)");
        }
        List<String> gone = new ArrayList<>();
        for (String n : p.nodes()) {
            pace(options);
            int s = client.delete(n, p.uri());
            if (s >= 200 && s < 300 || s == 404) {
                gone.add(n);
            } else {
                return Outcome.failed(n + " answered " + s + " to DELETE");
            }
        }
        return Outcome.repaired("deleted from " + String.join(", ", gone));
    }

    private Outcome deleteMisplaced(StoreCheck.Problem p, Options options) throws IOException {
        String agreed = null;
        for (String n : p.good()) {
            Optional<String> d = client.digest(n, p.uri());
            if (d.isEmpty()) {
                return Outcome.skipped("kept: " + n + " has no copy yet");
            }
            if (agreed != null && !agreed.equals(d.get())) {
                return Outcome.skipped("kept: the copies in their right places differ");
            }
            agreed = d.get();
        }
        List<String> gone = new ArrayList<>();
        for (String n : p.nodes()) {
            pace(options);
            int s = client.delete(n, p.uri());
            if (s >= 200 && s < 300 || s == 404) {
                gone.add(n);
            } else {
                return Outcome.failed(n + " answered " + s + " to DELETE");
            }
        }
        return Outcome.repaired("stray copy deleted from " + String.join(", ", gone));
    }

    /** Whether the router's journal holds a tombstone for the file (read again every few seconds). */
    private boolean tombstoned(String uri) throws IOException {
        if (journal == null || System.nanoTime() - journalReadNanos > 2_000_000_000L) {
            journal = HandoffJournal.load(HandoffJournal.file(stateDir, service));
            journalReadNanos = System.nanoTime();
        }
        return journal.tombstone(uri).isPresent();
    }

    private void pace(Options options) {
        long gap = (long) (1_000_000_000L / options.rate());
        long now = System.nanoTime();
        if (nextSlot - now > 0) {
            LockSupport.parkNanos(nextSlot - now);
            now = System.nanoTime();
        }
        nextSlot = Math.max(nextSlot, now) + gap;
    }

    private void save(Progress p) throws IOException {
        Path f = progressFile(stateDir, service);
        Files.createDirectories(f.getParent());
        AtomicFiles.write(f, JSON.writeValueAsString(p));
    }

    /** Counts of a progress record, for people. */
    public static String summary(Progress p) {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("repaired", p.repaired());
        m.put("skipped", p.skipped());
        m.put("failed", p.failed());
        StringBuilder b = new StringBuilder(p.service() + ": " + p.done() + "/" + p.total() + " findings dealt with");
        m.forEach((k, v) -> b.append(", ").append(v).append(' ').append(k));
        return b.toString();
    }

    public void close() {
        check.close();
    }
}
