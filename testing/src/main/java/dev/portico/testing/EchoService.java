package dev.portico.testing;

import dev.portico.core.lifecycle.Reconfigurable;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.net.HostPort;
import dev.portico.core.transport.TcpListener;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/** The test echo service: each line received is sent back with the configured prefix. */
public class EchoService implements Service {

    private final String name;
    private final String type;
    private final ServiceContext context;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicBoolean stopped = new AtomicBoolean();
    private volatile EchoConfig config;
    private volatile TcpListener listener;

    EchoService(String name, String type, EchoConfig config, ServiceContext context) {
        this.name = name;
        this.type = type;
        this.config = config;
        this.context = context;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return type;
    }

    /** The config in force. */
    public EchoConfig config() {
        return config;
    }

    @Override
    public void start() throws Exception {
        if (listener != null || stopped.get()) {
            throw new IllegalStateException("service '" + name + "' starts only once");
        }
        listener = TcpListener.bind(context.transport(), context.workers(), config.listen(), 128,
                new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast(new LineBasedFrameDecoder(8192),
                                new StringDecoder(StandardCharsets.UTF_8),
                                new StringEncoder(StandardCharsets.UTF_8),
                                new SimpleChannelInboundHandler<String>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, String line) {
                                        ctx.writeAndFlush(config.prefix() + line + "\n");
                                    }
                                });
                    }
                });
    }

    @Override
    public void stop(Duration grace) {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        TcpListener l = listener;
        if (l != null) {
            l.close();
        }
        if (!grace.isZero() && !connections.isEmpty()) {
            connections.newCloseFuture().awaitUninterruptibly(grace.toMillis());
        }
        connections.close().awaitUninterruptibly();
    }

    /** True once stopped. */
    public boolean isStopped() {
        return stopped.get();
    }

    @Override
    public List<String> endpoints() {
        TcpListener l = listener;
        if (l == null) {
            return List.of("tcp://" + config.listen() + " (not started)");
        }
        var a = l.localAddress();
        return List.of("tcp://" + new HostPort(a.getAddress().getHostAddress(), a.getPort()));
    }

    void apply(EchoConfig next) {
        if (!next.listen().equals(config.listen())) {
            throw new IllegalArgumentException("echo cannot move from " + config.listen() + " to " + next.listen()
                    + " while running");
        }
        config = next;
    }

    /** The reconfigurable variant. */
    static final class Live extends EchoService implements Reconfigurable<EchoConfig> {

        Live(String name, String type, EchoConfig config, ServiceContext context) {
            super(name, type, config, context);
        }

        @Override
        public void reconfigure(EchoConfig next) {
            apply(next);
        }
    }
}
