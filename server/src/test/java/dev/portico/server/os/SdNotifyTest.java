package dev.portico.server.os;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class SdNotifyTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    @Test
    void sendsStatesToASocketAtAPath() throws Throwable {
        try (NotifyListener systemd = NotifyListener.bind(dir.resolve("notify").toString(), WAIT)) {
            SdNotify notify = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", systemd.name()));
            assertThat(notify.enabled()).isTrue();

            notify.ready();
            assertThat(systemd.receive()).startsWith("READY=1\n");
            notify.reloading();
            assertThat(systemd.receive()).startsWith("RELOADING=1\nMONOTONIC_USEC=");
            notify.stopping();
            assertThat(systemd.receive()).isEqualTo("STOPPING=1");
        }
    }

    @Test
    void sendsToAnAbstractSocketName() throws Throwable {
        String name = "@portico-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (NotifyListener systemd = NotifyListener.bind(name, WAIT)) {
            SdNotify notify = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", name));
            assertThat(notify.send("READY=1")).isTrue();
            assertThat(systemd.receive()).isEqualTo("READY=1");
        }
    }

    @Test
    void withoutNotifySocketNothingIsSent() {
        SdNotify notify = SdNotify.fromEnvironment(Map.of());
        assertThat(notify.enabled()).isFalse();
        assertThat(notify.send("READY=1")).isFalse();
    }

    @Test
    void aSocketNobodyListensOnIsReportedNotThrown() {
        SdNotify notify = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", dir.resolve("nobody").toString()));
        assertThat(notify.send("READY=1")).isFalse();
        SdNotify relative = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", "relative/name"));
        assertThat(relative.send("READY=1")).isFalse();
    }
}
