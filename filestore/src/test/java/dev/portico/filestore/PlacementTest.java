package dev.portico.filestore;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PlacementTest {

    @Test
    void whitePaperExample() {
        assertThat(Placement.md5Hex("/path/to/file".getBytes())).isEqualTo("b4a91649090a2784056565363583d067");
        assertThat(Placement.locate("/path/to/file", 256, 10, 2)).containsExactly(7, 6);
    }

    @Test
    void floatDivisionKeepsTheLastPointOnTheLastNode() {
        // 3fsd divided integers: 255 / (256 / 10) = 255 / 25 = 10, one past the end
        String hash = "ff" + "0".repeat(30);
        assertThat(Placement.locateHash(hash, 256, 10, 1)).containsExactly(9);
        assertThat(Placement.locateHash("ffff" + "0".repeat(28), 65536, 3, 1)).containsExactly(2);
    }

    @Test
    void aCollisionStepsToTheNextNodeModuloTheCount() {
        // both copies point at node 9 of 10: the second wraps to 0
        assertThat(Placement.locateHash("ffff" + "0".repeat(28), 256, 10, 2)).containsExactly(9, 0);
        assertThat(Placement.locateHash("fffffe" + "0".repeat(26), 256, 10, 3)).containsExactly(9, 0, 1);
    }

    @Test
    void digitsPerCopyAndTheRedundancyMd5Allows() {
        assertThat(Placement.digits(16)).isEqualTo(1);
        assertThat(Placement.digits(256)).isEqualTo(2);
        assertThat(Placement.digits(4096)).isEqualTo(3);
        assertThat(Placement.digits(65536)).isEqualTo(4);
        assertThat(Placement.maxRedundancy(256)).isEqualTo(16);
        assertThat(Placement.maxRedundancy(4096)).isEqualTo(10);
        assertThat(Placement.locateHash("abc" + "0".repeat(29), 4096, 4096, 1)).containsExactly(0xabc);
        assertThatThrownBy(() -> Placement.locate("/x", 100, 10, 1)).hasMessageContaining("region 100");
        assertThatThrownBy(() -> Placement.locate("/x", 256, 2, 3)).hasMessageContaining("redundancy 3");
    }

    @Test
    void nodesSortAsStringsNotNumbers() {
        TreeMap<Integer, List<String>> stages = new TreeMap<>();
        stages.put(0, List.of("10.0.0.2:80", "10.0.0.10:80", "10.0.0.1:80"));
        StorePool p = new StorePool("*", stages, 0);
        assertThat(p.nodes(0)).containsExactly("10.0.0.10:80", "10.0.0.1:80", "10.0.0.2:80");
    }

    @Test
    void theRawPathIsHashedAsSentNotDecoded() {
        assertThat(Placement.locate("/a%20b", 256, 10, 2)).isEqualTo(
                Placement.locateHash(Placement.md5Hex("/a%20b".getBytes()), 256, 10, 2));
        assertThat(Placement.md5Hex(Placement.wireBytes("/a%20b")))
                .isNotEqualTo(Placement.md5Hex(Placement.wireBytes("/a b")));
    }

    @Test
    void eachPathIsPlacedByItsOwnHashWhateverCameBeforeItOnTheThread() {
        // the digest and its input buffer are reused per thread: a long path grows the buffer, a
        // path beyond Latin-1 is hashed as UTF-8, and no path's bytes or state leak into the next
        List<String> paths = List.of("/path/to/file", "/" + "a".repeat(1000), "/x", "/caf\u00e9/\u20ac.txt",
                "/path/to/file", "/" + "b".repeat(300) + "/c", "/x");
        for (String path : paths) {
            assertThat(Placement.locate(path, 65536, 3000, 4))
                    .as(path)
                    .containsExactly(Placement.locateHash(Placement.md5Hex(Placement.wireBytes(path)), 65536, 3000, 4));
        }
        assertThat(Placement.locate("/path/to/file", 256, 10, 2)).containsExactly(7, 6);
    }

    @Test
    void rangesExpandOverTheLastOctetWithOnePort() {
        assertThat(NodeRanges.expand("10.0.0.1-3:8000")).containsExactly("10.0.0.1:8000", "10.0.0.2:8000", "10.0.0.3:8000");
        assertThat(NodeRanges.expand("10.0.0.7")).containsExactly("10.0.0.7:80");
        assertThat(NodeRanges.expand("node1:9001")).containsExactly("node1:9001");
        assertThatThrownBy(() -> NodeRanges.expand("10.0.0.5-3:80")).hasMessageContaining("between 5 and 255");
        assertThatThrownBy(() -> NodeRanges.expand("10.0.0.1:99999")).hasMessageContaining("not a port");
    }

    @Test
    void unsafePathsAreRefusedAndStagesRead() {
        for (String bad : List.of("/_3fs_0/../x", "/_3fs_0/%2e%2e/x", "/_3fs_0/%2E./x", "/_3fs_0/a%2fb",
                "/_3fs_0/a%5Cb", "/_3fs_0//x", "/_3fs_0/./x", "/_3fs_0/a\\b", "/_3fs_0/%zz", "/_3fs_0/x%2")) {
            assertThat(StorePath.parse(bad, "_3fs").kind()).as(bad).isEqualTo(StorePath.Kind.REFUSED);
        }
        for (String fine : List.of("/_3fs_0/.../x", "/_3fs_0/.hidden", "/_3fs_0/a..b", "/_3fs_0/%2e%2e%2e",
                "/_3fs_0/x/", "/_3fs_0/a%20b")) {
            assertThat(StorePath.parse(fine, "_3fs").kind()).as(fine).isEqualTo(StorePath.Kind.STAGED);
        }
        StorePath staged = StorePath.parse("/_3fs_12/path/to/file", "_3fs");
        assertThat(staged.kind()).isEqualTo(StorePath.Kind.STAGED);
        assertThat(staged.stage()).isEqualTo(12);
        assertThat(staged.filePath()).isEqualTo("/path/to/file");
        assertThat(StorePath.parse("/_3fs/path", "_3fs").kind()).isEqualTo(StorePath.Kind.STAGELESS);
        assertThat(StorePath.parse("/_3fs_x/path", "_3fs").kind()).isEqualTo(StorePath.Kind.BAD_STAGE);
        assertThat(StorePath.parse("/_3fs_1", "_3fs").kind()).isEqualTo(StorePath.Kind.BAD_STAGE);
        assertThat(StorePath.parse("/_3fsx/path", "_3fs").kind()).isEqualTo(StorePath.Kind.OUTSIDE);
        assertThat(StorePath.parse("/index.html", "_3fs").kind()).isEqualTo(StorePath.Kind.OUTSIDE);
    }
}
