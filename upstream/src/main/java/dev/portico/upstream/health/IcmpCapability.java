package dev.portico.upstream.health;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides whether this process can send ICMP echo requests. On Linux that needs either
 * {@code CAP_NET_RAW} (raw sockets) or membership of a group in
 * {@code net.ipv4.ping_group_range} (unprivileged ping sockets). Without either,
 * {@link java.net.InetAddress#isReachable(int)} silently degrades to a TCP probe of port 7, whose
 * "connection refused" counts as reachable, which makes it useless as a health check; so callers
 * fall back to a TCP connect to the service port instead. Other systems are reported as unable.
 */
final class IcmpCapability {

    private static final int CAP_NET_RAW = 13;

    private IcmpCapability() {
    }

    /** Reads {@code /proc}; false when the files are missing or unreadable. */
    static boolean detect() {
        try {
            Path status = Path.of("/proc/self/status");
            Path range = Path.of("/proc/sys/net/ipv4/ping_group_range");
            if (!Files.isReadable(status)) {
                return false;
            }
            String statusText = Files.readString(status);
            if (hasNetRaw(statusText)) {
                return true;
            }
            return Files.isReadable(range) && pingGroupAllows(Files.readString(range), groups(statusText));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Whether the {@code CapEff} line of {@code /proc/self/status} has CAP_NET_RAW. */
    static boolean hasNetRaw(String statusText) {
        for (String line : statusText.split("\n")) {
            if (line.startsWith("CapEff:")) {
                long caps = Long.parseUnsignedLong(line.substring("CapEff:".length()).strip(), 16);
                return (caps & (1L << CAP_NET_RAW)) != 0;
            }
        }
        return false;
    }

    /** Effective gid plus supplementary groups from {@code /proc/self/status}. */
    static List<Long> groups(String statusText) {
        List<Long> gids = new ArrayList<>();
        for (String line : statusText.split("\n")) {
            if (line.startsWith("Gid:")) {
                String[] f = line.substring(4).strip().split("\\s+");
                if (f.length > 1) {
                    gids.add(Long.parseLong(f[1]));
                }
            } else if (line.startsWith("Groups:")) {
                for (String g : line.substring(7).strip().split("\\s+")) {
                    if (!g.isEmpty()) {
                        gids.add(Long.parseLong(g));
                    }
                }
            }
        }
        return gids;
    }

    /** Whether any gid lies in the inclusive range {@code "low high"}. */
    static boolean pingGroupAllows(String rangeText, List<Long> gids) {
        String[] f = rangeText.strip().split("\\s+");
        if (f.length != 2) {
            return false;
        }
        long low = Long.parseLong(f[0]);
        long high = Long.parseLong(f[1]);
        for (long gid : gids) {
            if (gid >= low && gid <= high) {
                return true;
            }
        }
        return false;
    }
}
