package dev.portico.server;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Run-time control of Logback: the root level ({@code log_level}, {@code --log-level}) and the
 * access log sink. Services write access lines to the logger named {@link #ACCESS_LOGGER}, one
 * line per message; {@code access_log} sends them to a file, to {@code stdout}, or nowhere.
 */
public final class Logging {

    /** The logger services write access lines to. */
    public static final String ACCESS_LOGGER = "portico.access";

    private static final String ACCESS_APPENDER = "portico-access";

    private final Supplier<LoggerContext> contexts;
    private LoggerContext context;
    private String accessTarget;

    /**
     * Works on the Logback context SLF4J is bound to, found on first use: a command that never
     * logs ({@code check}, {@code --version}) does not set Logback up at all, which is a tenth of
     * its run time (docs/decisions.md).
     */
    public Logging() {
        this.contexts = () -> (LoggerContext) LoggerFactory.getILoggerFactory();
    }

    Logging(LoggerContext context) {
        this.contexts = () -> context;
    }

    private synchronized LoggerContext context() {
        if (context == null) {
            context = contexts.get();
        }
        return context;
    }

    /** Sets the root level: trace, debug, info, warn, error or off. */
    public void level(String level) {
        Level l = Level.toLevel(level.toUpperCase(Locale.ROOT), null);
        if (l == null) {
            throw new IllegalArgumentException("'" + level + "' is not a log level (trace, debug, info, warn, error, off)");
        }
        context().getLogger(Logger.ROOT_LOGGER_NAME).setLevel(l);
    }

    /** The root level, in lower case. */
    public String level() {
        return context().getLogger(Logger.ROOT_LOGGER_NAME).getLevel().toString().toLowerCase(Locale.ROOT);
    }

    /**
     * Points the access logger at {@code target}: a file path (appended to), {@code stdout}, or
     * null for nowhere. Calling it again with the same target keeps the open file.
     */
    public synchronized void accessLog(String target) {
        if (Objects.equals(target, accessTarget) && (target == null || access().getAppender(ACCESS_APPENDER) != null)) {
            return;
        }
        Logger access = access();
        access.setAdditive(false);
        access.setLevel(Level.INFO);
        Appender<ILoggingEvent> old = access.getAppender(ACCESS_APPENDER);
        if (old != null) {
            access.detachAppender(old);
            old.stop();
        }
        accessTarget = target;
        if (target == null) {
            access.setLevel(Level.OFF);
            return;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context());
        encoder.setPattern("%msg%n");
        encoder.start();

        OutputStreamAppender<ILoggingEvent> sink;
        if (target.equals("stdout")) {
            ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
            console.setTarget("System.out");
            sink = console;
        } else {
            FileAppender<ILoggingEvent> file = new FileAppender<>();
            file.setFile(target);
            file.setAppend(true);
            sink = file;
        }
        sink.setContext(context());
        sink.setName(ACCESS_APPENDER + "-sink");
        sink.setEncoder(encoder);
        sink.setImmediateFlush(true);
        sink.start();
        if (!sink.isStarted()) {
            throw new IllegalArgumentException("cannot open access log '" + target + "'");
        }

        // Writes happen on a background thread; a full queue drops lines rather than stall an event loop.
        AsyncAppender async = new AsyncAppender();
        async.setContext(context());
        async.setName(ACCESS_APPENDER);
        async.setQueueSize(8192);
        async.setDiscardingThreshold(0);
        async.setNeverBlock(true);
        async.addAppender(sink);
        async.start();
        access.addAppender(async);
    }

    /**
     * Closes the access log file and opens it again by name (SIGUSR1, after logrotate moved it
     * away): lines written from now on go to a new file at the configured path. Does nothing
     * when the access log is not a file.
     *
     * @throws IllegalArgumentException when the file cannot be opened again
     */
    public synchronized void reopenAccessLog() {
        String target = accessTarget;
        if (target == null || target.equals("stdout")) {
            return;
        }
        accessLog(null);
        accessLog(target);
    }

    /** Flushes and closes the access log. */
    public synchronized void close() {
        accessLog(null);
    }

    private Logger access() {
        return context().getLogger(ACCESS_LOGGER);
    }
}
