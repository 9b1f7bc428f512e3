package dev.portico.core.fs;

import dev.portico.core.transport.LinuxNet;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Linux file calls that work relative to a directory descriptor ({@code openat},
 * {@code openat2}, {@code mkdirat}, {@code unlinkat}, {@code renameat}, {@code statx},
 * {@code getdents64}) plus the few plain ones that go with them, called through the Foreign
 * Function and Memory API. As in {@link LinuxNet}, one thin method per call returns what the
 * call returns (negative on failure) with the {@code errno} left in the caller's {@link Scratch}.
 *
 * <p>Names are passed as single path components or, for {@link #openat2}, as a relative path;
 * they are copied into the scratch's native buffers, so a call allocates nothing. The calls may
 * block on the disk and are linked normally (never as critical).
 *
 * <p>Linux on x86-64 and AArch64 only; check {@link #available()} first.
 */
public final class LinuxFs {

    public static final int AT_FDCWD = -100;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_REMOVEDIR = 0x200;

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_CREAT = 0x40;
    public static final int O_EXCL = 0x80;
    public static final int O_CLOEXEC = 0x80000;
    public static final int O_PATH = 0x200000;
    /** Differs between the architectures: AArch64 swaps it with O_DIRECT's neighbours. */
    public static final int O_DIRECTORY;
    public static final int O_NOFOLLOW;

    /** {@code struct open_how.resolve} bits of openat2. */
    public static final long RESOLVE_NO_MAGICLINKS = 0x02;
    public static final long RESOLVE_NO_SYMLINKS = 0x04;
    public static final long RESOLVE_BENEATH = 0x08;

    public static final int S_IFMT = 0xF000;
    public static final int S_IFDIR = 0x4000;
    public static final int S_IFREG = 0x8000;
    public static final int S_IFLNK = 0xA000;

    public static final int DT_UNKNOWN = 0;
    public static final int DT_DIR = 4;
    public static final int DT_LNK = 10;

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int EEXIST = 17;
    public static final int EXDEV = 18;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EROFS = 30;
    public static final int ENAMETOOLONG = 36;
    public static final int ENOSYS = 38;
    public static final int ENOTEMPTY = 39;
    public static final int ELOOP = 40;
    public static final int EDQUOT = 122;

    /** The longest path (with its NUL) a call takes, as the kernel's PATH_MAX. */
    public static final int PATH_MAX = 4096;

    /** openat2's number; the same on x86-64 and AArch64 (unified syscall table). */
    private static final long SYS_OPENAT2 = 437;
    private static final int STATX_TYPE = 0x1;
    private static final int STATX_MODE = 0x2;
    private static final int STATX_SIZE = 0x200;
    private static final int STATX_BUFFER = 256;
    private static final long STATX_MODE_OFFSET = 0x1c;
    private static final long STATX_SIZE_OFFSET = 0x28;
    private static final int DIRENT_BUFFER = 32 * 1024;
    private static final int IO_BUFFER = 64 * 1024;

    private static final long ERRNO_SIZE = Linker.Option.captureStateLayout().byteSize();
    private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
            .byteOffset(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle OPENAT;
    private static final MethodHandle OPENAT2;
    private static final MethodHandle MKDIRAT;
    private static final MethodHandle UNLINKAT;
    private static final MethodHandle RENAMEAT;
    private static final MethodHandle STATX;
    private static final MethodHandle GETDENTS64;
    private static final MethodHandle WRITE;
    private static final MethodHandle FSYNC;
    private static final MethodHandle CLOSE;
    private static final boolean AVAILABLE;
    /** 1 when openat2 works, 0 when not, -1 before the first look. */
    private static volatile int openat2Works = -1;

    static {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        boolean arm = arch.equals("aarch64");
        O_DIRECTORY = arm ? 0x4000 : 0x10000;
        O_NOFOLLOW = arm ? 0x8000 : 0x20000;
        MethodHandle[] h = link(arm || arch.equals("amd64") || arch.equals("x86_64"));
        AVAILABLE = h != null;
        int i = 0;
        OPENAT = h == null ? null : h[i++];
        OPENAT2 = h == null ? null : h[i++];
        MKDIRAT = h == null ? null : h[i++];
        UNLINKAT = h == null ? null : h[i++];
        RENAMEAT = h == null ? null : h[i++];
        STATX = h == null ? null : h[i++];
        GETDENTS64 = h == null ? null : h[i++];
        WRITE = h == null ? null : h[i++];
        FSYNC = h == null ? null : h[i++];
        CLOSE = h == null ? null : h[i];
    }

    private LinuxFs() {
    }

    private static MethodHandle[] link(boolean knownArch) {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux") || !knownArch) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            Linker.Option errno = Linker.Option.captureCallState("errno");
            ValueLayout i = ValueLayout.JAVA_INT;
            ValueLayout l = ValueLayout.JAVA_LONG;
            return new MethodHandle[] {
                linker.downcallHandle(libc.findOrThrow("openat"), FunctionDescriptor.of(i, i, l, i, i), errno,
                        Linker.Option.firstVariadicArg(3)),
                linker.downcallHandle(libc.findOrThrow("syscall"), FunctionDescriptor.of(l, l, l, l, l, l), errno,
                        Linker.Option.firstVariadicArg(1)),
                linker.downcallHandle(libc.findOrThrow("mkdirat"), FunctionDescriptor.of(i, i, l, i), errno),
                linker.downcallHandle(libc.findOrThrow("unlinkat"), FunctionDescriptor.of(i, i, l, i), errno),
                linker.downcallHandle(libc.findOrThrow("renameat"), FunctionDescriptor.of(i, i, l, i, l), errno),
                linker.downcallHandle(libc.findOrThrow("statx"), FunctionDescriptor.of(i, i, l, i, i, l), errno),
                linker.downcallHandle(libc.findOrThrow("getdents64"), FunctionDescriptor.of(l, i, l, l), errno),
                linker.downcallHandle(libc.findOrThrow("write"), FunctionDescriptor.of(l, i, l, l), errno),
                linker.downcallHandle(libc.findOrThrow("fsync"), FunctionDescriptor.of(i, i), errno),
                linker.downcallHandle(libc.findOrThrow("close"), FunctionDescriptor.of(i, i), errno),
            };
        } catch (RuntimeException | LinkageError e) {
            // Native access refused (no --enable-native-access) or a libc without these calls.
            return null;
        }
    }

    /** Whether the calls are linked: Linux on x86-64 or AArch64, with native access allowed. */
    public static boolean available() {
        return AVAILABLE;
    }

    /**
     * Whether this kernel has openat2 (Linux 5.6 and later) and lets this process use it: a
     * seccomp filter may answer ENOSYS or EPERM for a call it does not know. Asked once.
     */
    public static boolean openat2Available() {
        int known = openat2Works;
        if (known < 0) {
            known = 0;
            if (AVAILABLE) {
                try (Arena arena = Arena.ofConfined()) {
                    Scratch s = new Scratch(arena);
                    int fd = openat2(s, AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_NO_SYMLINKS);
                    if (fd >= 0) {
                        close(s, fd);
                        known = 1;
                    }
                }
            }
            openat2Works = known;
        }
        return known == 1;
    }

    /**
     * Where a caller's calls leave their {@code errno}, and the native buffers for names, stat
     * results, directory entries and copied data. Not for use by two threads at once.
     */
    public static final class Scratch {
        private final Arena arena;
        private final MemorySegment state;
        private final MemorySegment path;
        private final MemorySegment path2;
        private final MemorySegment stat;
        private MemorySegment dirents;
        private MemorySegment io;

        /** Allocated in {@code arena}, which must outlive every call made with it. */
        public Scratch(Arena arena) {
            this.arena = arena;
            this.state = arena.allocate(ERRNO_SIZE);
            this.path = arena.allocate(PATH_MAX, 8);
            this.path2 = arena.allocate(PATH_MAX, 8);
            this.stat = arena.allocate(STATX_BUFFER, 8);
        }

        /** The {@code errno} of the last failed call made with this scratch. */
        public int errno() {
            return state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
        }

        /** The file type bits ({@link #S_IFMT}) from the last successful {@link #statx}. */
        public int type() {
            return Short.toUnsignedInt(stat.get(ValueLayout.JAVA_SHORT, STATX_MODE_OFFSET)) & S_IFMT;
        }

        /** The size from the last successful {@link #statx}. */
        public long size() {
            return stat.get(ValueLayout.JAVA_LONG, STATX_SIZE_OFFSET);
        }

        /** A native buffer of {@link #ioCapacity()} bytes for data on its way to {@link #write}. */
        public MemorySegment ioBuffer() {
            if (io == null) {
                io = arena.allocate(IO_BUFFER, 8);
            }
            return io;
        }

        public int ioCapacity() {
            return IO_BUFFER;
        }

        private MemorySegment dirents() {
            if (dirents == null) {
                dirents = arena.allocate(DIRENT_BUFFER, 8);
            }
            return dirents;
        }

        /** Copies a name with its NUL into {@code into}; false (errno ENAMETOOLONG) when too long. */
        private boolean put(MemorySegment into, byte[] name) {
            if (name.length >= PATH_MAX) {
                state.set(ValueLayout.JAVA_INT, ERRNO_OFFSET, ENAMETOOLONG);
                return false;
            }
            MemorySegment.copy(name, 0, into, ValueLayout.JAVA_BYTE, 0, name.length);
            into.set(ValueLayout.JAVA_BYTE, name.length, (byte) 0);
            return true;
        }
    }

    /** A name as the kernel takes it. */
    public static byte[] bytes(String name) {
        return name.getBytes(StandardCharsets.UTF_8);
    }

    // ---- opening -------------------------------------------------------------------------------

    /** {@code openat(dirfd, name, flags, mode)}; names with a '/' walk several components. */
    public static int openat(Scratch s, int dirfd, byte[] name, int flags, int mode) {
        if (!s.put(s.path, name)) {
            return -1;
        }
        try {
            return (int) OPENAT.invokeExact(s.state, dirfd, s.path.address(), flags, mode);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    public static int openat(Scratch s, int dirfd, String name, int flags, int mode) {
        return openat(s, dirfd, bytes(name), flags, mode);
    }

    /**
     * {@code openat2(dirfd, path, {flags, 0, resolve})}: opens a relative path with the kernel
     * enforcing the {@code RESOLVE_*} rules on every component. ENOSYS on kernels before 5.6.
     */
    public static int openat2(Scratch s, int dirfd, String path, int flags, long resolve) {
        if (!s.put(s.path, bytes(path))) {
            return -1;
        }
        MemorySegment how = s.stat;
        how.set(ValueLayout.JAVA_LONG, 0, Integer.toUnsignedLong(flags));
        how.set(ValueLayout.JAVA_LONG, 8, 0L);
        how.set(ValueLayout.JAVA_LONG, 16, resolve);
        try {
            return (int) (long) OPENAT2.invokeExact(s.state, SYS_OPENAT2, (long) dirfd, s.path.address(), how.address(), 24L);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    // ---- directory entries ---------------------------------------------------------------------

    public static int mkdirat(Scratch s, int dirfd, byte[] name, int mode) {
        if (!s.put(s.path, name)) {
            return -1;
        }
        try {
            return (int) MKDIRAT.invokeExact(s.state, dirfd, s.path.address(), mode);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** Removes a name: a file or link with flags 0, an empty directory with {@link #AT_REMOVEDIR}. */
    public static int unlinkat(Scratch s, int dirfd, byte[] name, int flags) {
        if (!s.put(s.path, name)) {
            return -1;
        }
        try {
            return (int) UNLINKAT.invokeExact(s.state, dirfd, s.path.address(), flags);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** Renames atomically, replacing what {@code to} names (a link there is replaced, never followed). */
    public static int renameat(Scratch s, int fromDir, byte[] from, int toDir, byte[] to) {
        if (!s.put(s.path, from) || !s.put(s.path2, to)) {
            return -1;
        }
        try {
            return (int) RENAMEAT.invokeExact(s.state, fromDir, s.path.address(), toDir, s.path2.address());
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /**
     * Looks at what a name is, into the scratch ({@link Scratch#type()}, {@link Scratch#size()});
     * with {@link #AT_SYMLINK_NOFOLLOW} a link is described, not its target.
     */
    public static int statx(Scratch s, int dirfd, byte[] name, int flags) {
        if (!s.put(s.path, name)) {
            return -1;
        }
        try {
            return (int) STATX.invokeExact(s.state, dirfd, s.path.address(), flags, STATX_TYPE | STATX_MODE | STATX_SIZE,
                    s.stat.address());
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    /** One entry of a directory: its raw name (not necessarily UTF-8) and its {@code DT_*} type. */
    public record Entry(byte[] name, int type) {
    }

    /**
     * Reads all entries of a directory opened for reading (not {@link #O_PATH}), "." and ".."
     * left out.
     *
     * @return the entries, or null with errno set
     */
    public static List<Entry> readDirectory(Scratch s, int fd) {
        MemorySegment buf = s.dirents();
        List<Entry> out = new ArrayList<>();
        while (true) {
            long n;
            try {
                n = (long) GETDENTS64.invokeExact(s.state, fd, buf.address(), (long) DIRENT_BUFFER);
            } catch (Throwable t) {
                throw fail(t);
            }
            if (n < 0) {
                return null;
            }
            if (n == 0) {
                return out;
            }
            long at = 0;
            while (at < n) {
                // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                int reclen = Short.toUnsignedInt(buf.get(ValueLayout.JAVA_SHORT, at + 16));
                int type = Byte.toUnsignedInt(buf.get(ValueLayout.JAVA_BYTE, at + 18));
                long nameAt = at + 19;
                int len = 0;
                while (nameAt + len < at + reclen && buf.get(ValueLayout.JAVA_BYTE, nameAt + len) != 0) {
                    len++;
                }
                byte[] name = new byte[len];
                MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, nameAt, name, 0, len);
                boolean dots = (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
                if (!dots) {
                    out.add(new Entry(name, type));
                }
                at += reclen;
            }
        }
    }

    // ---- data ----------------------------------------------------------------------------------

    public static long write(Scratch s, int fd, long address, long length) {
        try {
            return (long) WRITE.invokeExact(s.state, fd, address, length);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    public static int fsync(Scratch s, int fd) {
        try {
            return (int) FSYNC.invokeExact(s.state, fd);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    public static int close(Scratch s, int fd) {
        try {
            return (int) CLOSE.invokeExact(s.state, fd);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    // ---- errors --------------------------------------------------------------------------------

    /** A failed call: what was attempted and the {@code errno} it gave. */
    public static final class Failure extends IOException {
        private final int errno;

        public Failure(String what, int errno) {
            super(what + ": " + LinuxNet.message(errno) + " (errno " + errno + ")", null);
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }

    /** The failure of the last call made with {@code s}. */
    public static Failure error(Scratch s, String what) {
        return new Failure(what, s.errno());
    }

    private static IllegalStateException fail(Throwable t) {
        return new IllegalStateException("native call failed", t);
    }
}
