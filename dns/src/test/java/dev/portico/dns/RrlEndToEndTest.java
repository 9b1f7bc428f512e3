package dev.portico.dns;

import dev.portico.testing.ManualClock;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.net.Cidr;
import dev.portico.core.transport.Transport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Response rate limiting over real sockets, on both UDP paths (batched socket threads and datagram
 * channels): one source's burst gets the limit and slipped truncated answers, while another source
 * prefix and TCP are answered in full. The server's clock stands still, so the whole burst falls
 * in one second whatever the machine's speed.
 */
@Timeout(60)
class RrlEndToEndTest {

    private static final int LIMIT = 20;
    private static final int BURST = 200;

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private EventLoopGroup loops;
    private ExecutorService blocking;
    private DnsService service;

    private DnsConfig.Builder config(RrlConfig rrl) {
        DnsConfig.Builder b = DnsConfig.builder().listen("127.0.0.1:0").rrl(rrl);
        for (String zone : DnsFixture.ZONES) {
            b.zone(zone, DnsFixture.copyZone(dir, zone));
        }
        return b;
    }

    private InetSocketAddress start(String path, RrlConfig rrl) throws Exception {
        Transport transport = Transport.select(path.equals("channels") ? Transport.Kind.NIO : null);
        loops = transport.newGroup(2, "rrl-test");
        blocking = Executors.newVirtualThreadPerTaskExecutor();
        service = new DnsService("ns", config(rrl).build(), new ServiceContext(transport, loops, meters, clock, blocking));
        service.start();
        return service.localAddresses().getFirst();
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.stop(Duration.ZERO);
        }
        if (loops != null) {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (blocking != null) {
            blocking.shutdownNow();
        }
    }

    private double counter(String name) {
        return meters.get(name).tag("service", "ns").counter().count();
    }

    private static byte[] query(int id, String name, int type) throws Exception {
        Message m = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        m.getHeader().setID(id);
        m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        return m.toWire();
    }

    /** The answers one socket got back, sorted as whole or truncated. */
    private record Received(int whole, int truncated, Set<Integer> ids) {
    }

    /** Reads answers until none has come for a while (the server has finished: its meters said so). */
    private static Received drain(DatagramSocket s) throws Exception {
        int whole = 0;
        int truncated = 0;
        Set<Integer> ids = new HashSet<>();
        byte[] buf = new byte[4096];
        s.setSoTimeout(500);
        while (true) {
            DatagramPacket in = new DatagramPacket(buf, buf.length);
            try {
                s.receive(in);
            } catch (SocketTimeoutException e) {
                return new Received(whole, truncated, ids);
            }
            Message m = new Message(Arrays.copyOf(in.getData(), in.getLength()));
            assertThat(ids.add(m.getHeader().getID())).isTrue();
            if (m.getHeader().getFlag(Flags.TC)) {
                assertThat(m.getSection(Section.ANSWER)).isEmpty();
                assertThat(m.getQuestion().getName()).isEqualTo(Name.fromString("www.example.test."));
                truncated++;
            } else {
                assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
                assertThat(m.getSection(Section.ANSWER)).isNotEmpty();
                whole++;
            }
        }
    }

    /** Sends one query and waits for its answer. */
    private static Message ask(DatagramSocket s, InetSocketAddress server, int id, String name) throws Exception {
        byte[] q = query(id, name, Type.A);
        s.setSoTimeout(3000);
        s.send(new DatagramPacket(q, q.length, server));
        DatagramPacket in = new DatagramPacket(new byte[4096], 4096);
        s.receive(in);
        return new Message(Arrays.copyOf(in.getData(), in.getLength()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"batched", "channels"})
    void aBurstFromOneSourceGetsTheLimitWhileOthersAndTcpAreAnswered(String path) throws Exception {
        InetSocketAddress server = start(path, RrlConfig.builder().ratelimit(LIMIT).slip(2).build());

        try (DatagramSocket attacker = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            attacker.setReceiveBufferSize(1 << 20);
            for (int id = 1; id <= BURST; id++) {
                byte[] q = query(id, "www.example.test.", Type.A);
                attacker.send(new DatagramPacket(q, q.length, server));
            }
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    counter("portico_dns_rrl_dropped") + counter("portico_dns_rrl_slipped") == BURST - LIMIT);
            Received got = drain(attacker);
            assertThat(got.whole()).isBetween(1, LIMIT);
            assertThat(got.truncated()).isBetween(1, (BURST - LIMIT) / 2);
            assertThat(counter("portico_dns_rrl_dropped")).isEqualTo((BURST - LIMIT) / 2.0);
            assertThat(counter("portico_dns_rrl_slipped")).isEqualTo((BURST - LIMIT) / 2.0);
        }

        // Another /24 of the loopback network: its own buckets, every query answered in full.
        try (DatagramSocket other = new DatagramSocket(new InetSocketAddress("127.1.0.1", 0))) {
            for (int id = 1; id <= LIMIT; id++) {
                Message m = ask(other, server, id, "www.example.test.");
                assertThat(m.getHeader().getFlag(Flags.TC)).isFalse();
                assertThat(m.getSection(Section.ANSWER)).anyMatch(r -> r instanceof ARecord);
            }
        }

        // TCP from the limited source is never limited.
        SimpleResolver tcp = new SimpleResolver(server);
        tcp.setTCP(true);
        tcp.setLocalAddress(InetAddress.getByName("127.0.0.1"));
        tcp.setTimeout(Duration.ofSeconds(3));
        for (int i = 0; i < LIMIT + 5; i++) {
            Message m = tcp.send(Message.newQuery(Record.newRecord(Name.fromString("www.example.test."), Type.A, DClass.IN)));
            assertThat(m.getHeader().getFlag(Flags.TC)).isFalse();
            assertThat(m.getSection(Section.ANSWER)).isNotEmpty();
        }
        assertThat(counter("portico_dns_rrl_dropped") + counter("portico_dns_rrl_slipped")).isEqualTo(BURST - LIMIT);

        // The next second gives the limited source its credit back.
        clock.advance(1000);
        try (DatagramSocket again = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            Message m = ask(again, server, 1, "www.example.test.");
            assertThat(m.getHeader().getFlag(Flags.TC)).isFalse();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"batched", "channels"})
    void exemptSourcesAreAnsweredInFullAfterAReconfigure(String path) throws Exception {
        InetSocketAddress server = start(path, RrlConfig.builder().ratelimit(LIMIT).slip(0).build());
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            for (int id = 1; id <= LIMIT; id++) {
                assertThat(ask(client, server, id, "www.example.test.").getSection(Section.ANSWER)).isNotEmpty();
            }
            byte[] q = query(LIMIT + 1, "www.example.test.", Type.A);
            client.send(new DatagramPacket(q, q.length, server));
            await().atMost(Duration.ofSeconds(10)).until(() -> counter("portico_dns_rrl_dropped") == 1);
            assertThat(drain(client).ids()).isEmpty();

            service.reconfigure(service.config().toBuilder()
                    .rrl(RrlConfig.builder().ratelimit(LIMIT).slip(0).exempt(Cidr.parse("127.0.0.1/32")).build()).build());
            for (int id = 100; id < 100 + 3 * LIMIT; id++) {
                assertThat(ask(client, server, id, "www.example.test.").getSection(Section.ANSWER)).isNotEmpty();
            }
            assertThat(counter("portico_dns_rrl_exempt")).isEqualTo(3 * LIMIT);
            assertThat(counter("portico_dns_rrl_dropped")).isEqualTo(1);

            service.reconfigure(service.config().toBuilder().rrl(RrlConfig.OFF).build());
            for (int id = 200; id < 200 + 3 * LIMIT; id++) {
                assertThat(ask(client, server, id, "www.example.test.").getSection(Section.ANSWER)).isNotEmpty();
            }
            assertThat(counter("portico_dns_rrl_exempt")).isEqualTo(3 * LIMIT);
        }
    }
}
