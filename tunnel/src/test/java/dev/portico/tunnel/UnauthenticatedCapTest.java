package dev.portico.tunnel;

import io.netty.handler.codec.quic.QuicChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code max_unauthenticated}: connections that have done the QUIC handshake but not proved a
 * token are held up to the cap; one more is closed at once, and a place freed by a closed
 * connection is taken by the next. No device is involved, so this runs without root.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnauthenticatedCapTest {

    @TempDir
    Path dir;

    @Test
    void connectionsBeyondTheCapAreClosedUntilAPlaceIsFree() throws Exception {
        TunnelConfig config = LoopbackTunnelServer.config().maxUnauthenticated(2).build();
        try (LoopbackTunnelServer tunnel = new LoopbackTunnelServer(dir, config)) {
            TunnelServer server = tunnel.server();
            QuicChannel first = tunnel.connect();
            QuicChannel second = tunnel.connect();
            await().atMost(Duration.ofSeconds(10)).until(() -> server.unauthenticated() == 2);
            QuicChannel third = tunnel.connect();
            await().atMost(Duration.ofSeconds(10)).until(() -> !third.isActive());
            assertThat(server.refusedOverCap()).isEqualTo(1);
            assertThat(first.isActive()).isTrue();
            assertThat(second.isActive()).isTrue();
            assertThat(server.unauthenticated()).isEqualTo(2);

            first.close().sync();
            await().atMost(Duration.ofSeconds(10)).until(() -> server.unauthenticated() == 1);
            QuicChannel fourth = tunnel.connect();
            await().atMost(Duration.ofSeconds(10)).until(() -> server.unauthenticated() == 2);
            assertThat(fourth.isActive()).isTrue();
            assertThat(server.refusedOverCap()).isEqualTo(1);
        }
    }
}
