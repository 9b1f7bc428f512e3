package dev.portico.server.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Switches a process that started as root to an unprivileged user, through libc called with the
 * Foreign Function and Memory API: {@code initgroups(3)}, {@code setgid(2)} and
 * {@code setuid(2)}. At the kernel level credentials belong to each thread; glibc's wrappers of
 * these calls change every thread of the process (they signal each thread to make the system call
 * itself), which is why the libc functions are called and not the raw system calls.
 *
 * <p>Capabilities are per thread too, and glibc does not broadcast {@code capset(2)}. So the
 * threads that bind sockets later (the event loops, the reload thread) are named by the caller:
 * each of them sets {@code PR_SET_KEEPCAPS} before the switch, and after it narrows its permitted
 * and effective sets to the capabilities kept with {@code capset(2)}. Every other thread ends with
 * none. Threads those threads create inherit their capabilities.
 *
 * <p>Linux on x86-64 and AArch64 with glibc only (the layouts of {@code struct passwd} and
 * {@code struct group} below are theirs).
 */
public final class Privileges {

    /** A capability kept across the switch. */
    public enum Capability {
        /** Binding ports below 1024. */
        NET_BIND_SERVICE(10),
        /** Making network devices and routes (the tunnel). */
        NET_ADMIN(12);

        final int bit;

        Capability(int bit) {
            this.bit = bit;
        }
    }

    /** A user and the group to run as, as the system's user database has them. */
    public record Account(String user, int uid, String group, int gid) {
        @Override
        public String toString() {
            return user + " (uid " + uid + ", group " + group + " gid " + gid + ")";
        }
    }

    private static final int PR_SET_KEEPCAPS = 8;
    private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    private static final long ERRNO_SIZE = Linker.Option.captureStateLayout().byteSize();
    private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
            .byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    /** How long a named thread may take to run its part of the switch. */
    private static final long THREAD_WAIT_SECONDS = 10;

    private static final Native NATIVE = Native.link();

    /** The linked libc functions; null members where linking failed. */
    private record Native(MethodHandle getpwnam, MethodHandle getgrnam, MethodHandle getgrgid, MethodHandle initgroups,
                          MethodHandle setgid, MethodHandle setuid, MethodHandle geteuid, MethodHandle prctl,
                          MethodHandle capset, MethodHandle strerror) {

        static Native link() {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
            if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
                return null;
            }
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                FunctionDescriptor byName = FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS);
                FunctionDescriptor intOfInt = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
                return new Native(
                        linker.downcallHandle(libc.findOrThrow("getpwnam"), byName, errno),
                        linker.downcallHandle(libc.findOrThrow("getgrnam"), byName, errno),
                        linker.downcallHandle(libc.findOrThrow("getgrgid"), FunctionDescriptor.of(ValueLayout.ADDRESS,
                                ValueLayout.JAVA_INT), errno),
                        linker.downcallHandle(libc.findOrThrow("initgroups"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                                ValueLayout.ADDRESS, ValueLayout.JAVA_INT), errno),
                        linker.downcallHandle(libc.findOrThrow("setgid"), intOfInt, errno),
                        linker.downcallHandle(libc.findOrThrow("setuid"), intOfInt, errno),
                        linker.downcallHandle(libc.findOrThrow("geteuid"), FunctionDescriptor.of(ValueLayout.JAVA_INT)),
                        // int prctl(int option, ...): the second argument is variadic.
                        linker.downcallHandle(libc.findOrThrow("prctl"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG), errno, Linker.Option.firstVariadicArg(1)),
                        linker.downcallHandle(libc.findOrThrow("capset"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                                ValueLayout.ADDRESS, ValueLayout.ADDRESS), errno),
                        linker.downcallHandle(libc.findOrThrow("strerror"), FunctionDescriptor.of(ValueLayout.ADDRESS,
                                ValueLayout.JAVA_INT)));
            } catch (RuntimeException | LinkageError e) {
                // Native access refused (no --enable-native-access) or a libc without these calls.
                return null;
            }
        }
    }

    private Privileges() {
    }

    /** Whether this platform can switch users here (Linux with glibc and native access). */
    public static boolean supported() {
        return NATIVE != null;
    }

    /**
     * Looks a user up, and the group: {@code group} when given, else the user's primary group.
     *
     * @throws IOException when either is unknown, or the platform has no such calls
     */
    public static Account lookup(String user, String group) throws IOException {
        Native n = available();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(ERRNO_SIZE);
            MemorySegment pw = (MemorySegment) n.getpwnam.invokeExact(errno, arena.allocateFrom(user));
            if (pw.address() == 0) {
                throw new IOException("user '" + user + "' does not exist");
            }
            // struct passwd: pw_name, pw_passwd, pw_uid (offset 16), pw_gid (offset 20), ...
            pw = pw.reinterpret(48);
            int uid = pw.get(ValueLayout.JAVA_INT, 16);
            int primary = pw.get(ValueLayout.JAVA_INT, 20);
            if (group == null) {
                MemorySegment gr = (MemorySegment) n.getgrgid.invokeExact(errno, primary);
                String name = gr.address() == 0 ? Integer.toString(primary)
                        : gr.reinterpret(24).get(ValueLayout.ADDRESS, 0).reinterpret(Long.MAX_VALUE).getString(0);
                return new Account(user, uid, name, primary);
            }
            MemorySegment gr = (MemorySegment) n.getgrnam.invokeExact(errno, arena.allocateFrom(group));
            if (gr.address() == 0) {
                throw new IOException("group '" + group + "' does not exist");
            }
            gr = gr.reinterpret(24);
            // struct group: gr_name, gr_passwd, gr_gid (offset 16), gr_mem
            return new Account(user, uid, group, gr.get(ValueLayout.JAVA_INT, 16));
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("cannot look up user '" + user + "': " + t, t);
        }
    }

    /** The effective user id of the calling thread. */
    public static int effectiveUid() throws IOException {
        Native n = available();
        try {
            return (int) n.geteuid.invokeExact();
        } catch (Throwable t) {
            throw new IOException("geteuid: " + t, t);
        }
    }

    /**
     * Switches the whole process to {@code account}: supplementary groups, group, then user.
     * {@code keep} stays in the effective set of the calling thread and of each thread behind
     * {@code threads} (each must run one task at a time in one thread, such as an event loop or a
     * single-thread executor); every other thread of the process loses every capability.
     *
     * @throws IOException when the process is not root, or a call fails; the process may then be
     *                     half switched and should exit
     */
    public static void switchTo(Account account, Set<Capability> keep, List<? extends Executor> threads)
            throws IOException {
        Native n = available();
        int euid = effectiveUid();
        if (euid != 0) {
            throw new IOException("switching to user " + account.user() + " needs root, and this process runs as uid "
                    + euid + " (start it as root, or leave 'user' out)");
        }
        onEach(threads, () -> keepCapabilities(n, true));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(ERRNO_SIZE);
            check(n, errno, (int) n.initgroups.invokeExact(errno, arena.allocateFrom(account.user()), account.gid()),
                    "initgroups(" + account.user() + ")");
            check(n, errno, (int) n.setgid.invokeExact(errno, account.gid()), "setgid(" + account.gid() + ")");
            check(n, errno, (int) n.setuid.invokeExact(errno, account.uid()), "setuid(" + account.uid() + ")");
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("switching to " + account + ": " + t, t);
        }
        onEach(threads, () -> {
            narrow(n, keep);
            return keepCapabilities(n, false);
        });
    }

    /** Runs {@code step} on the calling thread and on each executor's thread, waiting for each. */
    private static void onEach(List<? extends Executor> threads, Callable<Void> step) throws IOException {
        try {
            step.call();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        }
        List<FutureTask<Void>> tasks = new ArrayList<>();
        for (Executor e : threads) {
            FutureTask<Void> task = new FutureTask<>(step);
            e.execute(task);
            tasks.add(task);
        }
        for (FutureTask<Void> task : tasks) {
            try {
                task.get(THREAD_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                throw cause instanceof IOException io ? io : new IOException(String.valueOf(cause.getMessage()), cause);
            } catch (TimeoutException e) {
                throw new IOException("a thread did not take part in the user switch within " + THREAD_WAIT_SECONDS + "s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while switching users", e);
            }
        }
    }

    private static Void keepCapabilities(Native n, boolean on) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(ERRNO_SIZE);
            check(n, errno, (int) n.prctl.invokeExact(errno, PR_SET_KEEPCAPS, on ? 1L : 0L), "prctl(PR_SET_KEEPCAPS)");
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("prctl: " + t, t);
        }
        return null;
    }

    /** Sets the calling thread's effective and permitted sets to {@code keep}, its inheritable set to none. */
    private static void narrow(Native n, Set<Capability> keep) throws IOException {
        int bits = 0;
        for (Capability c : keep) {
            bits |= 1 << c.bit;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(ERRNO_SIZE);
            // struct __user_cap_header_struct { u32 version; int pid; }, pid 0 = this thread
            MemorySegment header = arena.allocate(8, 4);
            header.set(ValueLayout.JAVA_INT, 0, LINUX_CAPABILITY_VERSION_3);
            header.set(ValueLayout.JAVA_INT, 4, 0);
            // two struct __user_cap_data_struct { u32 effective, permitted, inheritable; }: bits 0-31, 32-63
            MemorySegment data = arena.allocate(24, 4);
            data.set(ValueLayout.JAVA_INT, 0, bits);
            data.set(ValueLayout.JAVA_INT, 4, bits);
            check(n, errno, (int) n.capset.invokeExact(errno, header, data), "capset");
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("capset: " + t, t);
        }
    }

    private static void check(Native n, MemorySegment errno, int result, String call) throws IOException {
        if (result != 0) {
            int code = errno.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
            throw new IOException(call + " failed: " + message(n, code));
        }
    }

    private static String message(Native n, int code) {
        try {
            MemorySegment s = (MemorySegment) n.strerror.invokeExact(code);
            return s.reinterpret(256).getString(0) + " (errno " + code + ")";
        } catch (Throwable t) {
            return "errno " + code;
        }
    }

    private static Native available() throws IOException {
        if (NATIVE == null) {
            throw new IOException("switching users needs Linux (x86-64 or AArch64) with glibc and native access"
                    + " (--enable-native-access=ALL-UNNAMED)");
        }
        return NATIVE;
    }
}
