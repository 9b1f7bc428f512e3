package dev.portico.core.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.stream.ChunkedWriteHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileRegionInputTest {

    @TempDir
    Path dir;

    private byte[] file(Path p, int size) throws Exception {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        Files.write(p, data);
        return data;
    }

    @Test
    void regionIsWrittenAsChunksOfTheGivenSizeWithTheSameBytes() throws Exception {
        Path p = dir.resolve("f.bin");
        byte[] data = file(p, 40_000);
        DefaultFileRegion region = new DefaultFileRegion(p.toFile(), 100, 39_000);
        EmbeddedChannel ch = new EmbeddedChannel(new ChunkedWriteHandler(), new FileRegionChunker(16 * 1024));
        ch.writeAndFlush(region).syncUninterruptibly();

        ByteBuf all = Unpooled.buffer();
        int chunks = 0;
        for (ByteBuf b; (b = ch.readOutbound()) != null; chunks++) {
            assertThat(b.readableBytes()).isLessThanOrEqualTo(16 * 1024);
            all.writeBytes(b);
            b.release();
        }
        assertThat(chunks).isEqualTo(3);
        byte[] got = new byte[all.readableBytes()];
        all.readBytes(got);
        byte[] want = new byte[39_000];
        System.arraycopy(data, 100, want, 0, want.length);
        assertThat(got).isEqualTo(want);
        assertThat(region.refCnt()).isZero();
        assertThat(region.transferred()).isEqualTo(39_000);
        ch.finishAndReleaseAll();
    }

    @Test
    void aPathRegionIsReadStraightIntoTheBuffersWithTheSameBytes() throws Exception {
        Path p = dir.resolve("p.bin");
        byte[] data = file(p, 70_000);
        PathRegion region = new PathRegion(p, 5, 69_000);
        EmbeddedChannel ch = new EmbeddedChannel(new ChunkedWriteHandler(), new FileRegionChunker(16 * 1024));
        ch.writeAndFlush(region).syncUninterruptibly();
        ByteBuf all = Unpooled.buffer();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            assertThat(b.readableBytes()).isLessThanOrEqualTo(16 * 1024);
            all.writeBytes(b);
            b.release();
        }
        byte[] want = new byte[69_000];
        System.arraycopy(data, 5, want, 0, want.length);
        byte[] got = new byte[all.readableBytes()];
        all.readBytes(got);
        assertThat(got).isEqualTo(want);
        assertThat(region.refCnt()).isZero();
        ch.finishAndReleaseAll();
    }

    @Test
    void aPathRegionWhoseFileShrankFails() throws Exception {
        Path p = dir.resolve("s.bin");
        file(p, 10_000);
        FileRegionInput in = new FileRegionInput(new PathRegion(p, 0, 10_000), 4096);
        in.readChunk(io.netty.buffer.ByteBufAllocator.DEFAULT).release();
        try (var c = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
            c.truncate(5000);
        }
        assertThatThrownBy(() -> in.readChunk(io.netty.buffer.ByteBufAllocator.DEFAULT))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("bytes early");
        in.close();
    }

    @Test
    void otherMessagesPassUntouched() {
        EmbeddedChannel ch = new EmbeddedChannel(new ChunkedWriteHandler(), new FileRegionChunker(1024));
        ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
        ByteBuf b = ch.readOutbound();
        assertThat(b.readableBytes()).isEqualTo(3);
        b.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void aFileTruncatedWhileSendingFailsInsteadOfSpinning() throws Exception {
        Path p = dir.resolve("t.bin");
        file(p, 10_000);
        DefaultFileRegion region = new DefaultFileRegion(p.toFile(), 0, 10_000);
        FileRegionInput in = new FileRegionInput(region, 4096);
        ByteBuf first = in.readChunk(io.netty.buffer.ByteBufAllocator.DEFAULT);
        first.release();
        try (var c = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
            c.truncate(5000);
        }
        // 4096..5000 is still there, 4096..8192 is asked for: the read fails rather than spins
        assertThatThrownBy(() -> in.readChunk(io.netty.buffer.ByteBufAllocator.DEFAULT))
                .isInstanceOf(java.io.IOException.class);
        in.close();
        assertThat(region.refCnt()).isZero();
    }
}
