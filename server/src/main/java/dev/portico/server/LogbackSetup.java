package dev.portico.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logback's configuration, set up in code (found through {@code META-INF/services}) instead of
 * read from a {@code logback.xml}: Logback's XML configurator parses the file with the JDK's SAX
 * parser and builds a model of it, a good part of the time a start took before the first accept
 * (docs/decisions.md). Logs go to stderr so that stdout carries only command output (banners,
 * converted configs); the root level is set at run time from {@code log_level} or
 * {@code --log-level} ({@link Logging}). A {@code logback-test.xml} on the class path (the tests)
 * or {@code -Dlogback.configurationFile} are left to Logback's own configurators, unless
 * {@code -Dportico.logback=builtin} asks for this one (tests that run the product in a process).
 */
public final class LogbackSetup extends ContextAwareBase implements Configurator {

    /** The layout of a log line: time, level, the logger's simple name, the message. */
    static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        boolean builtin = "builtin".equals(System.getProperty("portico.logback"));
        if (!builtin && (System.getProperty("logback.configurationFile") != null
                || LogbackSetup.class.getClassLoader().getResource("logback-test.xml") != null)) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("console");
        console.setTarget("System.err");
        console.setEncoder(encoder);
        console.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(console);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
