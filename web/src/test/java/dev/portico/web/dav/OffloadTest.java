package dev.portico.web.dav;

import dev.portico.core.fs.LinuxFs;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The statuses that failed file calls of WebDAV writes are answered with (RFC 4918 §9). */
class OffloadTest {

    @Test
    void errnoValuesMapToWebDavStatuses() {
        // a missing or non-collection parent, or a collection that will not empty: conflict
        assertThat(Offload.status(LinuxFs.ENOENT)).isEqualTo(409);
        assertThat(Offload.status(LinuxFs.ENOTDIR)).isEqualTo(409);
        assertThat(Offload.status(LinuxFs.ENOTEMPTY)).isEqualTo(409);
        // a link on the way, or no permission
        assertThat(Offload.status(LinuxFs.ELOOP)).isEqualTo(403);
        assertThat(Offload.status(LinuxFs.EXDEV)).isEqualTo(403);
        assertThat(Offload.status(LinuxFs.EACCES)).isEqualTo(403);
        assertThat(Offload.status(LinuxFs.EPERM)).isEqualTo(403);
        assertThat(Offload.status(LinuxFs.EROFS)).isEqualTo(403);
        // MKCOL on an existing name, PUT over a collection
        assertThat(Offload.status(LinuxFs.EEXIST)).isEqualTo(405);
        assertThat(Offload.status(LinuxFs.EISDIR)).isEqualTo(405);
        assertThat(Offload.status(LinuxFs.ENOSPC)).isEqualTo(507);
        assertThat(Offload.status(LinuxFs.EDQUOT)).isEqualTo(507);
        assertThat(Offload.status(LinuxFs.ENAMETOOLONG)).isEqualTo(414);
        assertThat(Offload.status(5)).as("EIO").isEqualTo(500);
    }
}
