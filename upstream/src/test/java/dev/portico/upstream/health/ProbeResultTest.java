package dev.portico.upstream.health;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

class ProbeResultTest {

    @Test
    void aRefusedConnectIsDescribedByTheSystemsWordsAlone() {
        // As Netty's epoll transport words it, and as its NIO one does.
        assertThat(ProbeResult.failed(new ConnectException("finishConnect(..) failed: Connection refused: /127.0.0.1:41399"))
                .detail()).isEqualTo("Connection refused");
        assertThat(ProbeResult.failed(new ConnectException("Connection refused: /127.0.0.1:41399")).detail())
                .isEqualTo("Connection refused");
        assertThat(ProbeResult.failed(new ConnectException("Connection refused")).detail()).isEqualTo("Connection refused");
        assertThat(ProbeResult.failed(new ConnectException(
                "finishConnect(..) failed with error(-111): Connection refused: /127.0.0.1:38691")).detail())
                .isEqualTo("Connection refused");
    }

    @Test
    void otherFailuresKeepTheirClass() {
        assertThat(ProbeResult.failed(new IOException("no route")).detail()).isEqualTo("IOException: no route");
        assertThat(ProbeResult.failed(new ConnectException()).detail()).isEqualTo("ConnectException");
        assertThat(ProbeResult.failed(new IllegalStateException()).healthy()).isFalse();
    }

    @Test
    void aTimeoutIsWordedNotNamed() {
        // What CompletableFuture.orTimeout fails with: no message at all.
        Throwable bare = catchThrowable(() -> new CompletableFuture<ProbeResult>().orTimeout(1, TimeUnit.MILLISECONDS).join());
        assertThat(bare).isInstanceOf(CompletionException.class).hasCauseInstanceOf(TimeoutException.class);
        assertThat(ProbeResult.failed(bare.getCause()).detail()).isEqualTo("timed out");
        assertThat(ProbeResult.failed(new TimeoutException("lookup took too long")).detail())
                .isEqualTo("lookup took too long");
    }

    @Test
    void anUnfinishedCheckSaysHowLongItWasGiven() {
        assertThat(ProbeResult.unfinished(Duration.ofSeconds(2)))
                .isEqualTo(ProbeResult.failed("check timed out after 2s waiting for the probe"));
        assertThat(ProbeResult.unfinished(Duration.ofMillis(300)).detail())
                .isEqualTo("check timed out after 300ms waiting for the probe");
        assertThat(ProbeResult.unfinished(Duration.ofMillis(1500)).detail()).contains("after 1500ms");
    }
}
