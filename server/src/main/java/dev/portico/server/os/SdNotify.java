package dev.portico.server.os;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * The systemd readiness protocol ({@code sd_notify(3)}): state lines such as {@code READY=1} sent
 * as one datagram to the {@code AF_UNIX} socket named by {@code NOTIFY_SOCKET}, through
 * {@code socket(2)} and {@code sendto(2)} called with the Foreign Function and Memory API (the
 * JDK's own channels have no Unix datagram sockets). A name starting with {@code @} is in the
 * abstract namespace. Without {@code NOTIFY_SOCKET} every call does nothing; a failed send is
 * logged once at debug level and never stops the daemon.
 */
public final class SdNotify {

    private static final Logger log = LoggerFactory.getLogger(SdNotify.class);

    private static final short AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int MSG_NOSIGNAL = 0x4000;
    /** {@code sizeof(struct sockaddr_un)}: a 2-byte family and 108 bytes of path. */
    private static final int SOCKADDR_UN_SIZE = 110;
    private static final int PATH_MAX = 108;

    /** Linked on first use only, so that a start without systemd spends nothing on it. */
    private static final class Calls {
        static final MethodHandle[] HANDLES = link();
        static final long ERRNO_SIZE = Linker.Option.captureStateLayout().byteSize();
        static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
                .byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    }

    private final String socket;
    private boolean warned;

    private SdNotify(String socket) {
        this.socket = socket;
    }

    /** A notifier for {@code NOTIFY_SOCKET} in {@code env}; one that does nothing when it is unset. */
    public static SdNotify fromEnvironment(Map<String, String> env) {
        String s = env.get("NOTIFY_SOCKET");
        return new SdNotify(s == null || s.isEmpty() ? null : s);
    }

    /** Whether a service manager listens. */
    public boolean enabled() {
        return socket != null;
    }

    /** All services listen. */
    public void ready() {
        send("READY=1\nSTATUS=serving");
    }

    /** A reload starts; {@link #ready()} follows when it is done. */
    public void reloading() {
        // MONOTONIC_USEC lets systemd 253+ match the reload it asked for; older ones ignore it.
        send("RELOADING=1\nMONOTONIC_USEC=" + System.nanoTime() / 1000);
    }

    /** The daemon stops. */
    public void stopping() {
        send("STOPPING=1");
    }

    /**
     * Sends {@code state} (newline-separated {@code KEY=VALUE} lines).
     *
     * @return true when the datagram was sent
     */
    public synchronized boolean send(String state) {
        if (socket == null) {
            return false;
        }
        String problem = sendOnce(state);
        if (problem != null && !warned) {
            warned = true;
            log.debug("sd_notify to {}: {}", socket, problem);
        }
        return problem == null;
    }

    /** Null on success, else what went wrong. */
    private String sendOnce(String state) {
        MethodHandle[] calls = Calls.HANDLES;
        if (calls == null) {
            return "needs Linux (x86-64 or AArch64) and native access";
        }
        byte[] path = socket.getBytes(StandardCharsets.UTF_8);
        boolean abstractName = path[0] == '@';
        if (!abstractName && path[0] != '/') {
            return "NOTIFY_SOCKET must be an absolute path or start with '@'";
        }
        if (path.length > PATH_MAX - (abstractName ? 0 : 1)) {
            return "NOTIFY_SOCKET is longer than " + PATH_MAX + " bytes";
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(Calls.ERRNO_SIZE);
            MemorySegment addr = arena.allocate(SOCKADDR_UN_SIZE, 2);
            addr.set(ValueLayout.JAVA_SHORT, 0, AF_UNIX);
            MemorySegment.copy(path, 0, addr, ValueLayout.JAVA_BYTE, 2, path.length);
            if (abstractName) {
                addr.set(ValueLayout.JAVA_BYTE, 2, (byte) 0);
            }
            // An abstract name is exactly its bytes; a path ends with its terminating zero.
            int addrLen = 2 + path.length + (abstractName ? 0 : 1);
            byte[] bytes = state.getBytes(StandardCharsets.UTF_8);
            MemorySegment message = arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
            int fd = (int) calls[0].invokeExact(errno, (int) AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                return "socket: errno " + errno.get(ValueLayout.JAVA_INT, Calls.ERRNO_OFFSET);
            }
            try {
                long sent = (long) calls[1].invokeExact(errno, fd, message, (long) bytes.length, MSG_NOSIGNAL, addr, addrLen);
                return sent < 0 ? "sendto: errno " + errno.get(ValueLayout.JAVA_INT, Calls.ERRNO_OFFSET) : null;
            } finally {
                int ignored = (int) calls[2].invokeExact(errno, fd);
            }
        } catch (Throwable t) {
            return t.toString();
        }
    }

    private static MethodHandle[] link() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            Linker.Option errno = Linker.Option.captureCallState("errno");
            return new MethodHandle[] {
                linker.downcallHandle(libc.findOrThrow("socket"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), errno),
                linker.downcallHandle(libc.findOrThrow("sendto"), FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_INT), errno),
                linker.downcallHandle(libc.findOrThrow("close"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT), errno),
            };
        } catch (RuntimeException | LinkageError e) {
            // Native access refused (no --enable-native-access) or a libc without these calls.
            return null;
        }
    }
}
