package dev.portico.core.transport;

import dev.portico.core.net.HostPort;

import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * The addresses this process listens on, and the check that no other process does. Listeners bind
 * one socket per event loop with SO_REUSEPORT, and the kernel lets any process of the same user
 * join such a group: a second Portico on the same address would silently take half the
 * connections. So before the first socket of an address is bound, a probe socket without
 * SO_REUSEPORT binds it and closes again; that bind fails with EADDRINUSE whenever any other
 * socket holds the address, whatever its options. Addresses this process already holds skip the
 * probe, so a reload that rebinds an address while the old sockets are still open goes through.
 * The check runs at bind time only.
 *
 * <p>One instance belongs to one {@link Transport}, which a process makes once and hands to every
 * service. {@link #handover(boolean)} turns the check off, for a deliberate hand-over between two
 * processes (a binary upgrade: the new process joins the old one's sockets, then the old one stops).
 */
public final class ListenAddresses {

    /** The protocol of a listening socket; TCP and UDP ports are separate. */
    public enum Protocol {
        TCP, UDP
    }

    private static final String IN_USE = " is in use by another process";

    private final List<Held> held = new ArrayList<>();
    private volatile boolean handover;

    /** Whether other processes may share our addresses (the check is off). */
    public boolean handover() {
        return handover;
    }

    /**
     * Turns the check off ({@code true}) or on. Off lets a new process join the sockets of a running
     * one on purpose; never the default.
     */
    public void handover(boolean allow) {
        this.handover = allow;
    }

    /**
     * Checks that no other process holds {@code address} and records that this process is about to
     * bind it. Port 0 is not checked (the kernel picks a port nobody uses): tell the returned
     * claim the port picked with {@link Claim#bound}. An unresolved address is not checked either;
     * the bind that follows reports it.
     *
     * @param protocol  TCP or UDP
     * @param address   the address about to be bound
     * @param requested the address as configured, for messages
     * @return the claim, to release when the sockets close
     * @throws IOException "address HOST:PORT is in use by another process" when the probe fails
     */
    public Claim claim(Protocol protocol, InetSocketAddress address, HostPort requested) throws IOException {
        Claim claim = new Claim(protocol);
        if (address.getPort() != 0 && !address.isUnresolved()) {
            synchronized (this) {
                if (!handover && !holds(protocol, address)) {
                    probe(protocol, address, requested);
                }
                claim.add(address);
            }
        }
        return claim;
    }

    /** Whether {@code e} (or its cause) says that another process holds the address. */
    public static boolean inUseByAnother(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().endsWith(IN_USE)) {
                return true;
            }
        }
        return false;
    }

    /** Whether this process holds a socket of {@code protocol} that overlaps {@code address}. */
    public synchronized boolean holds(Protocol protocol, InetSocketAddress address) {
        if (address.isUnresolved()) {
            return false;
        }
        for (Held h : held) {
            if (h.protocol == protocol && h.address.getPort() == address.getPort()
                    && (h.address.getAddress().isAnyLocalAddress() || address.getAddress().isAnyLocalAddress()
                    || h.address.getAddress().equals(address.getAddress()))) {
                return true;
            }
        }
        return false;
    }

    private synchronized void release(Held h) {
        held.remove(h);
    }

    /**
     * Binds a socket without SO_REUSEPORT and closes it. TCP sets SO_REUSEADDR, so connections
     * in TIME_WAIT from an earlier run do not count (a listening socket still does); UDP does not,
     * as two UDP sockets with SO_REUSEADDR may share a port.
     */
    private static void probe(Protocol protocol, InetSocketAddress address, HostPort requested) throws IOException {
        StandardProtocolFamily family = address.getAddress() instanceof Inet4Address
                ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
        try (NetworkChannel probe = protocol == Protocol.TCP ? SocketChannel.open(family) : DatagramChannel.open(family)) {
            probe.setOption(StandardSocketOptions.SO_REUSEADDR, protocol == Protocol.TCP);
            probe.bind(address);
        } catch (BindException e) {
            if (e.getMessage() != null && e.getMessage().contains("in use")) {
                throw new IOException((protocol == Protocol.UDP ? "udp " : "") + "address " + requested
                        + IN_USE);
            }
            // another reason (no such local address, a privileged port): the real bind says it
        }
    }

    /** The addresses one listener bound, released together when it closes. */
    public final class Claim implements AutoCloseable {

        private final Protocol protocol;
        private final List<Held> mine = new ArrayList<>();

        private Claim(Protocol protocol) {
            this.protocol = protocol;
        }

        private void add(InetSocketAddress address) {
            Held h = new Held(protocol, address);
            held.add(h);
            mine.add(h);
        }

        /**
         * Records the address actually bound when port 0 was asked for (the kernel picked a port
         * nobody held, so there is nothing to check).
         */
        public void bound(InetSocketAddress address) {
            if (address.isUnresolved()) {
                return;
            }
            synchronized (ListenAddresses.this) {
                for (Held h : mine) {
                    if (h.address.equals(address)) {
                        return;
                    }
                }
                add(address);
            }
        }

        /** Forgets the addresses: the sockets are closed. */
        @Override
        public void close() {
            synchronized (ListenAddresses.this) {
                mine.forEach(ListenAddresses.this::release);
                mine.clear();
            }
        }
    }

    /** One bound address; compared by identity, as two listeners may hold equal addresses during a reload. */
    private static final class Held {
        final Protocol protocol;
        final InetSocketAddress address;

        Held(Protocol protocol, InetSocketAddress address) {
            this.protocol = protocol;
            this.address = address;
        }
    }
}
