package dev.portico.core.limits;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Reading {@code RLIMIT_NOFILE} from {@code /proc/self/limits}, as getrlimit gives it. */
class FileLimitTest {

    @TempDir
    Path dir;

    @Test
    void readsTheOpenFilesLineOfProcLimits() throws Exception {
        Path limits = Files.writeString(dir.resolve("limits"), """
                Limit                     Soft Limit           Hard Limit           Units
                Max processes             95641                95641                processes
                Max open files            1024                 524288               files
                Max locked memory         8388608              8388608              bytes
                """);
        assertThat(FileLimit.procLimits(limits)).containsExactly(1024, 524288);

        Files.writeString(limits, "Max open files            unlimited            unlimited            files\n");
        assertThat(FileLimit.procLimits(limits)).containsExactly(-1, -1);

        Files.writeString(limits, "Max processes             95641                95641                processes\n");
        assertThat(FileLimit.procLimits(limits)).isNull();
        assertThat(FileLimit.procLimits(dir.resolve("missing"))).isNull();
    }

    @Test
    void procLimitsAgreeWithGetrlimit() {
        long[] fromProc = FileLimit.procLimits(Path.of("/proc/self/limits"));
        long[] fromNative = FileLimit.nativeGetrlimit();
        assumeTrue(fromProc != null && fromNative != null, "Linux with native access");
        assertThat(fromProc).containsExactly(fromNative);
    }
}
