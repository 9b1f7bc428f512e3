package dev.portico.upstream.health;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;

import static org.assertj.core.api.Assertions.assertThat;

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
}
