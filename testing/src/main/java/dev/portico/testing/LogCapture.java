package dev.portico.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Captures what one logger logs (Logback's ListAppender) instead of printing it, so a test can
 * assert on the warnings and errors it provokes without them reaching the build output. Closing it
 * puts the logger back as it was.
 */
public final class LogCapture implements AutoCloseable {

    private final Logger logger;
    private final Level previous;
    private final boolean additive;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    /**
     * Captures {@code loggerName} at {@code level} and above.
     *
     * @param loggerName the logger's name
     * @param level      the lowest level captured while this is open
     */
    public LogCapture(String loggerName, Level level) {
        logger = (Logger) LoggerFactory.getLogger(loggerName);
        previous = logger.getLevel();
        additive = logger.isAdditive();
        logger.setLevel(level);
        logger.setAdditive(false);
        appender.start();
        logger.addAppender(appender);
    }

    /** Captures {@code loggerName} at INFO and above. */
    public LogCapture(String loggerName) {
        this(loggerName, Level.INFO);
    }

    /** Captures the logger named after {@code type} at INFO and above. */
    public LogCapture(Class<?> type) {
        this(type.getName(), Level.INFO);
    }

    /** The formatted messages at {@code level} or above, so far. */
    public List<String> messages(Level level) {
        return events(level).stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** The formatted messages at ERROR, so far. */
    public List<String> errors() {
        return messages(Level.ERROR);
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
