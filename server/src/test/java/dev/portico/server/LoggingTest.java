package dev.portico.server;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@Timeout(30)
class LoggingTest {

    private final Logging logging = new Logging();
    private final String before = logging.level();

    @AfterEach
    void restore() {
        logging.close();
        logging.level(before);
    }

    @Test
    void setsTheRootLevel() {
        logging.level("WARN");
        assertThat(logging.level()).isEqualTo("warn");
        assertThat(LoggerFactory.getLogger("any.thing").isInfoEnabled()).isFalse();
        logging.level("debug");
        assertThat(LoggerFactory.getLogger("any.thing").isDebugEnabled()).isTrue();
        assertThatThrownBy(() -> logging.level("loud")).hasMessageContaining("not a log level");
    }

    @Test
    void reopeningAfterARotationWritesToANewFileAtThePath(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        Path rotated = dir.resolve("access.log.1");
        logging.accessLog(file.toString());
        LoggerFactory.getLogger(Logging.ACCESS_LOGGER).info("before rotation");
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(file) && Files.readString(file).contains("before"));

        Files.move(file, rotated);
        logging.reopenAccessLog();
        LoggerFactory.getLogger(Logging.ACCESS_LOGGER).info("after rotation");

        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(file) && Files.readString(file).contains("after"));
        assertThat(Files.readAllLines(file)).containsExactly("after rotation");
        assertThat(Files.readAllLines(rotated)).containsExactly("before rotation");
    }

    @Test
    void accessLinesGoToTheFileOnly(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        logging.accessLog(file.toString());
        LoggerFactory.getLogger(Logging.ACCESS_LOGGER).info("127.0.0.1 GET / 200 12");
        LoggerFactory.getLogger(Logging.ACCESS_LOGGER).info("127.0.0.1 GET /x 404 0");

        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(file)
                && Files.readAllLines(file).size() == 2);
        assertThat(Files.readAllLines(file)).containsExactly("127.0.0.1 GET / 200 12", "127.0.0.1 GET /x 404 0");

        Path other = dir.resolve("other.log");
        logging.accessLog(other.toString());
        LoggerFactory.getLogger(Logging.ACCESS_LOGGER).info("after switch");
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(other) && Files.readString(other).contains("after switch"));
        assertThat(Files.readAllLines(file)).hasSize(2);

        logging.accessLog(null);
        assertThat(LoggerFactory.getLogger(Logging.ACCESS_LOGGER).isInfoEnabled()).isFalse();
    }

    @Test
    void anAccessLogThatCannotBeOpenedIsAnError(@TempDir Path dir) throws Exception {
        Path blocker = Files.writeString(dir.resolve("file"), "x");
        assertThatThrownBy(() -> logging.accessLog(blocker.resolve("sub/access.log").toString()))
                .hasMessageContaining("cannot open access log");
    }
}
