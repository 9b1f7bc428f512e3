package dev.portico.lb.bench;

import dev.portico.core.transport.Transport;
import dev.portico.lb.EmbeddedLb;
import dev.portico.lb.LbConfig;
import dev.portico.lb.Splice;

import java.util.concurrent.CountDownLatch;

/**
 * Runs a TCP balancer through the embedding API for {@code bench/lb.sh}, until the process is
 * told to stop:
 *
 * <pre>
 * java -cp ... dev.portico.lb.bench.BenchMain --listen 127.0.0.1:18100 \
 *     --backend 127.0.0.1:18080 --backend 127.0.0.1:18081 [--workers 1] [--transport auto|io_uring|epoll|nio]
 *     [--scheduler roundrobin] [--health tcp|none|http:/path] [--splice auto|on|off]
 * </pre>
 */
public final class BenchMain {

    private BenchMain() {
    }

    /**
     * Parses the flags, starts the balancer and blocks; a shutdown hook closes it.
     *
     * @param args the flags above
     * @throws Exception when the flags are wrong or the listener cannot be bound
     */
    public static void main(String[] args) throws Exception {
        LbConfig.Builder config = LbConfig.builder();
        int workers = 1;
        Transport.Kind transport = null;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            String value = args[++i];
            switch (flag) {
                case "--listen" -> config.listen(value);
                case "--backend" -> config.backend(value);
                case "--workers" -> workers = Integer.parseInt(value);
                case "--transport" -> transport = Transport.Kind.parse(value);
                case "--scheduler" -> config.scheduler(value);
                case "--health" -> config.health(value);
                case "--splice" -> config.splice(Splice.parse(value));
                default -> throw new IllegalArgumentException("unknown flag " + flag);
            }
        }
        EmbeddedLb lb = EmbeddedLb.start(config.build(), workers, transport);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            lb.close();
            stopped.countDown();
        }));
        System.out.println("portico lb ready on " + lb.service().listenAddresses() + " with " + workers
                + " worker(s), transport " + lb.transport());
        System.out.flush();
        stopped.await();
    }
}
