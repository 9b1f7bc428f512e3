package dev.portico.core.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A failing accept pauses reading on the listening socket instead of retrying at once. */
class AcceptBackoffTest {

    private final List<Throwable> passedOn = new ArrayList<>();

    private EmbeddedChannel listener() {
        return new EmbeddedChannel(new AcceptBackoff(System::nanoTime), new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                passedOn.add(cause);
            }
        });
    }

    @Test
    void outOfDescriptorsPausesAcceptingBrieflyAndIsNotPassedOn() {
        EmbeddedChannel ch = listener();
        for (int i = 0; i < 100; i++) {
            ch.pipeline().fireExceptionCaught(new IOException("accept(..) failed: Too many open files"));
        }
        assertThat(ch.config().isAutoRead()).isFalse();
        assertThat(passedOn).isEmpty();

        ch.advanceTimeBy(AcceptBackoff.PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.config().isAutoRead()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void otherErrorsGoOn() {
        EmbeddedChannel ch = listener();
        IllegalStateException bug = new IllegalStateException("bug");
        ch.pipeline().fireExceptionCaught(bug);
        assertThat(passedOn).containsExactly(bug);
        assertThat(ch.config().isAutoRead()).isTrue();
        ch.finishAndReleaseAll();
    }
}
