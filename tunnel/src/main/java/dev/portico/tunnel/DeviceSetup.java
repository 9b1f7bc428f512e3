package dev.portico.tunnel;

import dev.portico.core.net.HostPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Configures a session's device with the {@code ip} command, as 3wdd did (see docs/decisions.md
 * for the measurement): MTU and transmit queue, the point-to-point addresses, up, and the routes;
 * then the {@code ifup} script. On the way down, the routes go first, then {@code ifdown} runs.
 * Blocking: called off the event loops.
 */
final class DeviceSetup {

    private static final Logger log = LoggerFactory.getLogger(DeviceSetup.class);
    private static final long COMMAND_SECONDS = 10;

    private final String ip;
    private final java.util.Set<String> managed;

    /** @param ip the {@code ip} command (a name on PATH or a path) */
    DeviceSetup(String ip) {
        this(ip, java.util.Set.of());
    }

    /**
     * @param ip      the {@code ip} command (a name on PATH or a path)
     * @param managed destinations whose routes {@link RouteManager} sets instead
     */
    DeviceSetup(String ip, java.util.Set<String> managed) {
        this.ip = ip;
        this.managed = java.util.Set.copyOf(managed);
    }

    /** The session's routes this set-up adds and removes itself. */
    private List<Route> own(SessionConfig s) {
        if (managed.isEmpty()) {
            return s.routes();
        }
        return s.routes().stream().filter(r -> !managed.contains(r.destination())).toList();
    }

    /**
     * Brings the device up with its addresses and routes and runs {@code ifup}.
     *
     * @throws IOException naming the command that failed and what it said
     */
    void up(SessionConfig s, String device) throws IOException {
        run(ip, "link", "set", "dev", device, "mtu", Integer.toString(s.mtu()), "txqueuelen",
                Integer.toString(s.txqueuelen()));
        run(ip, "-4", "addr", "add", s.local().getHostAddress(), "peer", s.peer().getHostAddress() + "/32", "dev",
                device);
        if (s.local6() != null) {
            run(ip, "-6", "addr", "add", HostPort.text(s.local6()), "peer", HostPort.text(s.peer6()) + "/128", "dev",
                    device);
        }
        run(ip, "link", "set", "dev", device, "up");
        if (s.peer6() != null) {
            // IPv6 brings its address routes up with the link, and not the peer's: add it
            run(ip, "-6", "route", "replace", HostPort.text(s.peer6()) + "/128", "dev", device);
        }
        List<Route> own = own(s);
        for (Route r : own) {
            run(routeCommand("replace", r, device));
        }
        warnWithoutForwarding(s);
        if (s.ifup() != null) {
            script(s.ifup(), device);
        }
        if (s.rtch() != null && !own.isEmpty()) {
            script(s.rtch(), device);
        }
    }

    /** Removes the routes and runs {@code ifdown}; failures are logged, since the device goes anyway. */
    void down(SessionConfig s, String device) {
        List<Route> own = own(s);
        for (Route r : own) {
            try {
                run(routeCommand("del", r, device));
            } catch (IOException e) {
                log.debug("session '{}': {}", s.name(), e.getMessage());
            }
        }
        try {
            if (s.rtch() != null && !own.isEmpty()) {
                script(s.rtch(), device);
            }
            if (s.ifdown() != null) {
                script(s.ifdown(), device);
            }
        } catch (IOException e) {
            log.warn("session '{}': {}", s.name(), e.getMessage());
        }
    }

    private String[] routeCommand(String verb, Route r, String device) {
        List<String> cmd = new ArrayList<>(List.of(ip, r.ipv6() ? "-6" : "-4", "route", verb, r.destination()));
        if (r.metric() >= 0) {
            cmd.add("metric");
            cmd.add(Integer.toString(r.metric()));
        }
        cmd.add("dev");
        cmd.add(device);
        return cmd.toArray(String[]::new);
    }

    /** A session whose routes lead to other networks needs forwarding on; says so once per session up. */
    private static void warnWithoutForwarding(SessionConfig s) {
        boolean v4 = s.routes().stream().anyMatch(r -> !r.ipv6());
        boolean v6 = s.routes().stream().anyMatch(Route::ipv6);
        if (v4 && "0".equals(sysctl(Path.of("/proc/sys/net/ipv4/ip_forward")))) {
            log.warn("session '{}' routes {} through the tunnel, but net.ipv4.ip_forward is 0: this host will not "
                    + "forward packets between the tunnel and other networks (sysctl -w net.ipv4.ip_forward=1)",
                    s.name(), s.routes().stream().filter(r -> !r.ipv6()).map(Route::destination).toList());
        }
        if (v6 && "0".equals(sysctl(Path.of("/proc/sys/net/ipv6/conf/all/forwarding")))) {
            log.warn("session '{}' routes {} through the tunnel, but net.ipv6.conf.all.forwarding is 0: this host "
                    + "will not forward IPv6 packets between the tunnel and other networks", s.name(),
                    s.routes().stream().filter(Route::ipv6).map(Route::destination).toList());
        }
    }

    private static String sysctl(Path p) {
        try {
            return Files.readString(p, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return null;
        }
    }

    private static void script(Path script, String device) throws IOException {
        run(script.toString(), device);
    }

    /** Runs a command and waits for it; a non-zero exit is an error with the command's own words. */
    static void run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": no answer within " + COMMAND_SECONDS + "s");
            }
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): "
                        + new String(out, StandardCharsets.UTF_8).trim());
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + ": interrupted");
        }
    }
}
