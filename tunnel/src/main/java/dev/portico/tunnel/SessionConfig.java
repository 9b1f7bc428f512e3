package dev.portico.tunnel;

import dev.portico.core.net.HostPort;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One tunnel session: a TUN device named after the session, point-to-point between {@code local}
 * and {@code peer}, whose packets travel over one QUIC connection. A session with a
 * {@code target} is a client session (this side dials); one without is a server session (the
 * other side dials in).
 *
 * @param name              the session name, also the device name (1 to 15 bytes)
 * @param local             this side's IPv4 address on the device
 * @param peer              the other side's IPv4 address
 * @param local6            this side's IPv6 address, or null for none
 * @param peer6             the other side's IPv6 address, or null
 * @param mtu               the device MTU
 * @param txqueuelen        the device's transmit queue length
 * @param token             the shared secret both sides prove with HMAC-SHA256
 * @param tokenFile         the file the token was read from, or null when the config gave it inline
 * @param compress          how packets below {@code mtu - 100} bytes are compressed
 * @param transport         reliable (a QUIC stream) or datagram (QUIC DATAGRAM frames)
 * @param routes            routes through the device, added when the session is up
 * @param ifup              a script run with the device name when the session is up, or null
 * @param ifdown            a script run with the device name when it goes down, or null
 * @param rtch              a script run with the device name when its routes change, or null
 * @param target            the server to dial (client sessions), or null
 * @param serverFingerprint the SHA-256 of the server certificate's DER (client sessions), or null
 * @param serverCa          a CA file the server certificate must chain to (client sessions), or null
 */
public record SessionConfig(String name, InetAddress local, InetAddress peer, InetAddress local6, InetAddress peer6,
                            int mtu, int txqueuelen, String token, Path tokenFile, Compression compress, TransportMode transport,
                            List<Route> routes, Path ifup, Path ifdown, Path rtch, HostPort target,
                            String serverFingerprint, Path serverCa) {

    /** The longest device name the kernel takes (IFNAMSIZ - 1). */
    public static final int MAX_NAME_BYTES = 15;
    public static final int DEFAULT_MTU = 1380;
    public static final int MIN_MTU = 576;
    public static final int DEFAULT_TXQUEUELEN = 1000;

    /** How packets are compressed. */
    public enum Compression {
        OFF, ZLIB, LZ4;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** How packets travel. */
    public enum TransportMode {
        /** Length-prefixed frames on one QUIC stream: inner flows never see the WAN's loss. */
        RELIABLE,
        /** One packet per QUIC DATAGRAM frame: no retransmission, lowest latency. */
        DATAGRAM;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public SessionConfig {
        checkName(name);
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(peer, "peer");
        if (!(local instanceof Inet4Address) || !(peer instanceof Inet4Address)) {
            throw new IllegalArgumentException("session '" + name + "': local and peer must be IPv4 addresses"
                    + " (IPv6 ones go in local6 and peer6)");
        }
        if ((local6 == null) != (peer6 == null)) {
            throw new IllegalArgumentException("session '" + name + "': local6 and peer6 go together");
        }
        if (local6 != null && (!(local6 instanceof Inet6Address) || !(peer6 instanceof Inet6Address))) {
            throw new IllegalArgumentException("session '" + name + "': local6 and peer6 must be IPv6 addresses");
        }
        if (local.equals(peer)) {
            throw new IllegalArgumentException("session '" + name + "': local and peer are the same address");
        }
        if (mtu < MIN_MTU || mtu > FrameCodec.MAX_PACKET) {
            throw new IllegalArgumentException("session '" + name + "': mtu " + mtu + " is out of range ("
                    + MIN_MTU + " to " + FrameCodec.MAX_PACKET + ")");
        }
        if (txqueuelen < 1) {
            throw new IllegalArgumentException("session '" + name + "': txqueuelen must be at least 1");
        }
        Objects.requireNonNull(token, "token");
        if (token.isEmpty()) {
            throw new IllegalArgumentException("session '" + name + "': the token is empty");
        }
        Objects.requireNonNull(compress, "compress");
        Objects.requireNonNull(transport, "transport");
        routes = List.copyOf(routes);
        if (target == null && (serverFingerprint != null || serverCa != null)) {
            throw new IllegalArgumentException("session '" + name + "': server_fingerprint and server_ca are for "
                    + "client sessions (with a target)");
        }
        if (target != null && serverFingerprint == null && serverCa == null) {
            throw new IllegalArgumentException("session '" + name + "': a client session needs server_fingerprint "
                    + "(from 'portico tunnel fingerprint' on the server) or server_ca");
        }
        if (serverFingerprint != null && serverCa != null) {
            throw new IllegalArgumentException("session '" + name + "': give server_fingerprint or server_ca, not both");
        }
        if (serverFingerprint != null) {
            serverFingerprint = Fingerprints.normalize(serverFingerprint);
        }
    }

    /**
     * Checks a session name as a Linux interface name: 1 to 15 bytes, no {@code /}, {@code :},
     * white space or control characters, and not {@code .} or {@code ..}.
     *
     * @throws IllegalArgumentException with a message fit for a user
     */
    public static void checkName(String name) {
        Objects.requireNonNull(name, "name");
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("session name '" + name + "' is " + bytes + " bytes; a device name "
                    + "takes 1 to " + MAX_NAME_BYTES);
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("session name '" + name + "' cannot name a device");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || c <= ' ' || c == 0x7f || c > 0x7e) {
                throw new IllegalArgumentException("session name '" + name + "' has a character a device name cannot "
                        + "have (use letters, digits, '.', '-' and '_')");
            }
        }
    }

    /** The settings without the token, which never goes to a log. */
    @Override
    public String toString() {
        return "SessionConfig[" + name + " " + local.getHostAddress() + " -> " + peer.getHostAddress() + " mtu " + mtu
                + " " + transport + " compress " + compress + (target != null ? " target " + target : "") + "]";
    }

    /** Whether this side dials (the session has a target). */
    public boolean client() {
        return target != null;
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Everything the config sets, with the config's defaults. */
    public static final class Builder {
        private final String name;
        private InetAddress local;
        private InetAddress peer;
        private InetAddress local6;
        private InetAddress peer6;
        private int mtu = DEFAULT_MTU;
        private int txqueuelen = DEFAULT_TXQUEUELEN;
        private String token;
        private Path tokenFile;
        private Compression compress = Compression.OFF;
        private TransportMode transport = TransportMode.RELIABLE;
        private final List<Route> routes = new ArrayList<>();
        private Path ifup;
        private Path ifdown;
        private Path rtch;
        private HostPort target;
        private String serverFingerprint;
        private Path serverCa;

        private Builder(String name) {
            this.name = name;
        }

        public Builder local(InetAddress v) {
            local = v;
            return this;
        }

        public Builder peer(InetAddress v) {
            peer = v;
            return this;
        }

        public Builder local6(InetAddress v) {
            local6 = v;
            return this;
        }

        public Builder peer6(InetAddress v) {
            peer6 = v;
            return this;
        }

        public Builder mtu(int v) {
            mtu = v;
            return this;
        }

        public Builder txqueuelen(int v) {
            txqueuelen = v;
            return this;
        }

        public Builder token(String v) {
            token = v;
            return this;
        }

        /** Where the token was read from, so that a written config names the file rather than the secret. */
        public Builder tokenFile(Path v) {
            tokenFile = v;
            return this;
        }

        public Builder compress(Compression v) {
            compress = v;
            return this;
        }

        public Builder transport(TransportMode v) {
            transport = v;
            return this;
        }

        public Builder route(Route v) {
            routes.add(v);
            return this;
        }

        public Builder ifup(Path v) {
            ifup = v;
            return this;
        }

        public Builder ifdown(Path v) {
            ifdown = v;
            return this;
        }

        public Builder rtch(Path v) {
            rtch = v;
            return this;
        }

        public Builder target(HostPort v) {
            target = v;
            return this;
        }

        public Builder serverFingerprint(String v) {
            serverFingerprint = v;
            return this;
        }

        public Builder serverCa(Path v) {
            serverCa = v;
            return this;
        }

        public SessionConfig build() {
            return new SessionConfig(name, local, peer, local6, peer6, mtu, txqueuelen, token, tokenFile, compress, transport,
                    routes, ifup, ifdown, rtch, target, serverFingerprint, serverCa);
        }
    }
}
