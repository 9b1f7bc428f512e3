package dev.portico.upstream;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Captures what one logger logs (Logback's ListAppender) instead of printing it, so a test that
 * provokes an error can assert on the log line and the build output stays quiet.
 */
public final class LogCapture implements AutoCloseable {

    private final Logger logger;
    private final Level previous;
    private final boolean additive;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    public LogCapture(Class<?> type) {
        logger = (Logger) LoggerFactory.getLogger(type);
        previous = logger.getLevel();
        additive = logger.isAdditive();
        logger.setLevel(Level.INFO);
        logger.setAdditive(false);
        appender.start();
        logger.addAppender(appender);
    }

    /** The events at {@code level} or above, so far. */
    public List<ILoggingEvent> events(Level level) {
        synchronized (appender.list) {
            return appender.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(level)).toList();
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        logger.setAdditive(additive);
        logger.setLevel(previous);
        appender.stop();
    }
}
