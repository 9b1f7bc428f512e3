package dev.portico.testing;

import dev.portico.core.config.ConfigException;
import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.lifecycle.ServiceType;
import dev.portico.core.metrics.Metrics;
import dev.portico.core.transport.Transport;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs real services for a test: a {@link ServiceContext} with the best transport, a small event
 * loop group, a fresh metrics registry, the system clock and a blocking executor. Services started
 * through it are stopped, and the context shut down, after each test (instance field) or after
 * the class (static field).
 *
 * <pre>{@code
 * @RegisterExtension
 * final PorticoExtension portico = new PorticoExtension();
 *
 * @Test
 * void answers() throws Exception {
 *     var echo = portico.start(new EchoServiceType(), "echo", EchoConfig.loopback("> "));
 *     // connect to echo.port() ...
 * }
 * }</pre>
 */
public final class PorticoExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {

    private final int threads;
    private final Clock clock;
    private final Deque<Service> started = new ArrayDeque<>();
    private boolean classScoped;
    private ServiceContext context;
    private Metrics metrics;

    /** Two event loops and the system clock. */
    public PorticoExtension() {
        this(2, Clock.systemUTC());
    }

    public PorticoExtension(int threads, Clock clock) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be 1 or more");
        }
        this.threads = threads;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public void beforeAll(ExtensionContext extensionContext) {
        classScoped = true;
        open();
    }

    @Override
    public void beforeEach(ExtensionContext extensionContext) {
        if (context == null) {
            open();
        }
    }

    @Override
    public void afterEach(ExtensionContext extensionContext) {
        if (!classScoped) {
            close();
        }
    }

    @Override
    public void afterAll(ExtensionContext extensionContext) {
        close();
    }

    /** The context handed to services; valid between the before and after callbacks. */
    public ServiceContext context() {
        requireOpen();
        return context;
    }

    /** The metrics registry behind {@link ServiceContext#meters()}, for asserting on scrapes. */
    public Metrics metrics() {
        requireOpen();
        return metrics;
    }

    /** Creates a service of {@code type} from {@code config} and starts it. */
    public <C> RunningService start(ServiceType<C> type, String name, C config) throws Exception {
        return start(type.create(name, config, context()));
    }

    /** Builds a service from the context and starts it. */
    public RunningService start(Function<ServiceContext, Service> factory) throws Exception {
        return start(factory.apply(context()));
    }

    /** Starts a service built elsewhere; it is stopped after the test. */
    public RunningService start(Service service) throws Exception {
        requireOpen();
        service.start();
        started.push(service);
        return new RunningService(service);
    }

    /**
     * Reads a service section written in YAML the way the config file reader does, including the
     * unknown-key check. Problems are thrown together, each with {@code label:line:column}.
     */
    public static <C> C parse(ServiceType<C> type, String name, String yaml) throws ConfigException {
        Problems problems = new Problems();
        Section section = Section.of(new YamlLoader().load(yaml, name + ".yaml"), "services." + name, problems);
        section.string("type", type.name());
        C config = type.parse(name, section);
        section.finish();
        problems.throwIfAny();
        return config;
    }

    private void open() {
        Transport transport = Transport.select(null);
        EventLoopGroup group = transport.newGroup(threads, "test-loop");
        ExecutorService blocking = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "test-blocking");
            t.setDaemon(true);
            return t;
        });
        metrics = new Metrics();
        context = new ServiceContext(transport, group, metrics.registry(), clock, blocking);
    }

    private void close() {
        if (context == null) {
            return;
        }
        RuntimeException failure = null;
        while (!started.isEmpty()) {
            try {
                started.pop().stop(Duration.ZERO);
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        context.workers().shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        context.blocking().shutdownNow();
        metrics.registry().close();
        context = null;
        metrics = null;
        if (failure != null) {
            throw failure;
        }
    }

    private void requireOpen() {
        if (context == null) {
            throw new IllegalStateException("PorticoExtension is not active: register it with @RegisterExtension");
        }
    }
}
