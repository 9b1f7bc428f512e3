package dev.portico.testing.netem;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A userspace link emulator: bridges Ethernet frames between pairs of network devices through
 * {@code AF_PACKET} sockets, each direction with its own {@link LinkSpec} (delay, random and
 * bursty loss, rate limit with a drop-tail queue, reordering) and its own counters. It runs as a
 * program in the network namespace that holds the devices ({@link NetnsTopology} starts it):
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp CLASSES dev.portico.testing.netem.LinkEmulator \
 *     --bridge a0 b0 'delay=50ms,rate=50mbit' 'delay=50ms,rate=50mbit' [--bridge ...] \
 *     [--stats FILE] [--slots 4096]
 * </pre>
 *
 * The first spec is for frames from the first device to the second, and that direction is named
 * {@code a0-b0}. Once every socket is open it prints {@code ready} on standard output. It then
 * reads commands, one a line, on standard input:
 * <ul>
 *   <li>{@code stats}: prints {@code stats time_ns=T} (its {@code System.nanoTime()}), one line per
 *       direction ({@code a0-b0 in_frames=... out_bytes=... loss_frames=... queue_frames=...}) and
 *       {@code end};
 *   <li>{@code set DIRECTION SPEC}: changes a direction's settings from the next frame, answers
 *       {@code ok} or {@code error REASON};
 *   <li>{@code quit}: stops.
 * </ul>
 * On SIGTERM, {@code quit} or a failed device it stops, writes the counters to the stats file (the
 * same lines as {@code stats}) and prints them on standard error.
 */
public final class LinkEmulator {

    private final List<Direction> directions;
    private final List<PacketSocket> sockets;
    private final Path statsFile;
    private final PrintStream out;

    private LinkEmulator(List<Direction> directions, List<PacketSocket> sockets, Path statsFile, PrintStream out) {
        this.directions = directions;
        this.sockets = sockets;
        this.statsFile = statsFile;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        List<String[]> bridges = new ArrayList<>();
        Path stats = null;
        int slots = 4096;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--bridge" -> {
                        if (i + 4 >= args.length) {
                            throw new IllegalArgumentException("--bridge needs DEVICE DEVICE SPEC SPEC");
                        }
                        bridges.add(new String[] {args[i + 1], args[i + 2], args[i + 3], args[i + 4]});
                        i += 4;
                    }
                    case "--stats" -> stats = Path.of(value(args, ++i, "--stats"));
                    case "--slots" -> slots = Integer.parseInt(value(args, ++i, "--slots"));
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (bridges.isEmpty()) {
                throw new IllegalArgumentException("no --bridge given");
            }
            if (slots < 16) {
                throw new IllegalArgumentException("--slots must be at least 16");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("netem: " + e.getMessage());
            System.exit(2);
            return;
        }
        LinkEmulator emulator;
        try {
            emulator = open(bridges, stats, slots, out);
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("netem: " + e.getMessage());
            System.exit(1);
            return;
        }
        emulator.run();
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static LinkEmulator open(List<String[]> bridges, Path stats, int slots, PrintStream out) throws IOException {
        List<PacketSocket> sockets = new ArrayList<>();
        List<Direction> directions = new ArrayList<>();
        try {
            for (String[] b : bridges) {
                LinkSpec forward = LinkSpec.parse(b[2]);
                LinkSpec back = LinkSpec.parse(b[3]);
                PacketSocket x = PacketSocket.open(b[0]);
                sockets.add(x);
                PacketSocket y = PacketSocket.open(b[1]);
                sockets.add(y);
                int slotSize = Math.max(slotSize(b[0]), slotSize(b[1]));
                directions.add(new Direction(b[0] + "-" + b[1], x, y, forward, slotSize, slots));
                directions.add(new Direction(b[1] + "-" + b[0], y, x, back, slotSize, slots));
            }
        } catch (IOException | IllegalArgumentException e) {
            sockets.forEach(PacketSocket::close);
            directions.forEach(Direction::release);
            throw e;
        }
        return new LinkEmulator(directions, sockets, stats, out);
    }

    /** Room for a full frame at the device's MTU (plus Ethernet and VLAN headers), at least 2 KiB. */
    private static int slotSize(String device) {
        int mtu = 1500;
        try {
            mtu = Integer.parseInt(Files.readString(Path.of("/sys/class/net", device, "mtu")).strip());
        } catch (IOException | NumberFormatException e) {
            // /sys of another namespace: keep the Ethernet default.
        }
        return Math.max(2048, (mtu + 18 + 63) & ~63);
    }

    private void run() throws InterruptedException {
        Thread main = Thread.currentThread();
        Thread hook = new Thread(() -> {
            stop();
            main.interrupt();
        }, "netem-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        directions.forEach(Direction::start);
        out.println("ready");
        Thread commands = Thread.ofPlatform().name("netem-commands").daemon().start(this::readCommands);
        while (!stopped) {
            for (Direction d : directions) {
                if (d.failure() != null) {
                    System.err.println("netem: direction " + d.name() + " stopped: " + d.failure());
                    System.exit(1);
                }
            }
            if (!commands.isAlive() && quit) {
                System.exit(0);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private volatile boolean quit;
    private volatile boolean stopped;

    private void readCommands() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                String[] w = line.strip().split("\\s+", 3);
                switch (w[0]) {
                    case "" -> { }
                    case "stats" -> printStats();
                    case "set" -> set(w);
                    case "quit" -> {
                        quit = true;
                        return;
                    }
                    default -> out.println("error unknown command " + w[0] + " (stats, set, quit)");
                }
            }
        } catch (IOException e) {
            // Standard input closed: keep running until SIGTERM.
        }
    }

    private void set(String[] w) {
        if (w.length < 2) {
            out.println("error set needs DIRECTION SPEC");
            return;
        }
        for (Direction d : directions) {
            if (d.name().equals(w[1])) {
                try {
                    d.set(LinkSpec.parse(w.length > 2 ? w[2] : ""));
                    out.println("ok");
                } catch (IllegalArgumentException e) {
                    out.println("error " + e.getMessage());
                }
                return;
            }
        }
        out.println("error no direction " + w[1]);
    }

    private synchronized void printStats() {
        out.print(statsText());
        out.println("end");
    }

    private String statsText() {
        StringBuilder b = new StringBuilder("stats time_ns=").append(System.nanoTime()).append('\n');
        for (Direction d : directions) {
            b.append(d.statsLine()).append('\n');
        }
        return b.toString();
    }

    private synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        for (Direction d : directions) {
            try {
                d.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        String text = statsText();
        System.err.print("netem: final counters\n" + text);
        if (statsFile != null) {
            try {
                Path tmp = statsFile.resolveSibling(statsFile.getFileName() + ".tmp");
                Files.writeString(tmp, text);
                Files.move(tmp, statsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                System.err.println("netem: cannot write " + statsFile + ": " + e.getMessage());
            }
        }
        sockets.forEach(PacketSocket::close);
    }
}
