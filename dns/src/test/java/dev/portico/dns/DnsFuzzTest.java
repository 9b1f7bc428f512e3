package dev.portico.dns;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 120,000 random and mutated packets (bit flips, cuts, EDNS options with good and bad Client
 * Subnets, compression pointer loops, absurd section counts) over UDP and TCP; then the server must
 * still answer correctly, its retained heap and Netty's direct memory must be flat between a
 * warm-up batch and the rest, and paranoid leak detection (the build's test setting) must report
 * no leaked buffer.
 */
@Timeout(120)
class DnsFuzzTest {

    private static final int WARM_UP = 20_000;
    private static final int UDP_PACKETS = 110_000;
    private static final int TCP_PACKETS = 10_000;
    private static final long HEAP_SLACK = 16L << 20;
    private static final long DIRECT_SLACK = 16L << 20;
    private static final int CACHE = 2_000;

    @TempDir
    Path dir;

    @Test
    void survivesRandomAndMutatedPacketsWithFlatMemoryAndNoLeaks() throws Exception {
        Logger leakLogger = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
        ListAppender<ILoggingEvent> leaks = new ListAppender<>();
        leaks.start();
        leakLogger.addAppender(leaks);
        leakLogger.setLevel(Level.ERROR);
        // Every answer goes through rate limiting's parsing and buckets, but none is limited: the
        // fuzzer's queries come from one address and the answers must all be counted.
        try (DnsFixture dns = DnsFixture.start(dir, b -> b.cacheEntries(CACHE)
                .rrl(RrlConfig.builder().ratelimit(RrlConfig.MAX_RATELIMIT).build()))) {
            Fuzzer fuzz = new Fuzzer(new SplittableRandom(20_261_122));
            assertAnswersCorrectly(dns);

            int replies = udp(dns, fuzz, WARM_UP);
            replies += tcp(dns, fuzz, TCP_PACKETS / 5);
            long heapBefore = retainedHeap();
            long directBefore = direct();

            replies += udp(dns, fuzz, UDP_PACKETS - WARM_UP);
            replies += tcp(dns, fuzz, TCP_PACKETS - TCP_PACKETS / 5);
            assertThat(fuzz.sent).isGreaterThanOrEqualTo(100_000);
            assertThat(replies).as("mutated queries still get answers").isGreaterThan(10_000);
            assertAnswersCorrectly(dns);

            long heapAfter = retainedHeap();
            long directAfter = direct();
            assertThat(heapAfter - heapBefore).as("retained heap growth (before %d, after %d)", heapBefore, heapAfter)
                    .isLessThan(HEAP_SLACK);
            assertThat(directAfter - directBefore).as("Netty direct memory growth (before %d, after %d)",
                    directBefore, directAfter).isLessThan(DIRECT_SLACK);

            // Leaks are reported when a collected buffer is noticed on a later allocation.
            for (int i = 0; i < 3; i++) {
                System.gc();
                assertAnswersCorrectly(dns);
            }
        } finally {
            leakLogger.detachAppender(leaks);
        }
        assertThat(ResourceLeakDetector.getLevel()).as("the build runs tests with paranoid leak detection")
                .isEqualTo(ResourceLeakDetector.Level.PARANOID);
        assertThat(leaks.list).as("leak reports").noneMatch(e -> e.getFormattedMessage().contains("LEAK"));
    }

    private static void assertAnswersCorrectly(DnsFixture dns) throws IOException {
        for (boolean tcp : new boolean[] {false, true}) {
            Message www = dns.query("www.example.test.", Type.A, tcp);
            assertThat(www.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(www.getSection(Section.ANSWER)).extracting(Record::rdataToString)
                    .containsExactlyInAnyOrder("192.0.2.1", "192.0.2.2");
            Message nx = dns.query("no-such-name.example.test.", Type.A, tcp);
            assertThat(nx.getRcode()).isEqualTo(Rcode.NXDOMAIN);
            assertThat(nx.getSection(Section.AUTHORITY)).singleElement().extracting(Record::getType).isEqualTo(Type.SOA);
            assertThat(dns.query("elsewhere.invalid.", Type.A, tcp).getRcode()).isEqualTo(Rcode.REFUSED);
        }
        assertThat(dns.query("big.example.test.", Type.TXT, true).getSection(Section.ANSWER)).hasSize(8);
    }

    /** Sends {@code count} packets over one UDP socket, reading replies as they come; returns how many came. */
    private static int udp(DnsFixture dns, Fuzzer fuzz, int count) throws IOException {
        int replies = 0;
        byte[] buf = new byte[65_535];
        DatagramPacket in = new DatagramPacket(buf, buf.length);
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(1);
            s.setReceiveBufferSize(1 << 20);
            for (int i = 0; i < count; i++) {
                byte[] p = fuzz.next();
                s.send(new DatagramPacket(p, p.length, dns.address()));
                if (i % 64 == 63) {
                    replies += drain(s, in);
                }
            }
            s.setSoTimeout(50);
            replies += drain(s, in);
        }
        return replies;
    }

    /**
     * Sends {@code count} length-prefixed packets over TCP, a new connection whenever the server
     * closes one (it does after a frame it cannot answer); some frames lie about their length.
     */
    private static int tcp(DnsFixture dns, Fuzzer fuzz, int count) throws IOException {
        int replies = 0;
        int sent = 0;
        while (sent < count) {
            try (Socket s = new Socket(dns.address().getAddress(), dns.address().getPort())) {
                s.setSoTimeout(2_000);
                OutputStream out = s.getOutputStream();
                DataInputStream in = new DataInputStream(s.getInputStream());
                ByteArrayOutputStream batch = new ByteArrayOutputStream();
                int frames = 0;
                for (; frames < 50 && sent < count; frames++, sent++) {
                    byte[] p = fuzz.next();
                    int length = fuzz.random.nextInt(40) == 0 ? p.length + fuzz.random.nextInt(1, 100) : p.length;
                    batch.write(length >> 8);
                    batch.write(length);
                    batch.write(p);
                    if (length != p.length) {
                        frames++;
                        sent++;
                        break;
                    }
                }
                out.write(batch.toByteArray());
                out.flush();
                s.shutdownOutput();
                replies += readFrames(in);
            } catch (IOException e) {
                // A reset after a frame the server refused: the next batch opens a new connection.
            }
        }
        return replies;
    }

    private static int readFrames(DataInputStream in) throws IOException {
        int n = 0;
        while (true) {
            int length;
            try {
                length = in.readUnsignedShort();
            } catch (java.io.EOFException | SocketTimeoutException e) {
                return n;
            }
            in.readFully(new byte[length]);
            n++;
        }
    }

    private static int drain(DatagramSocket s, DatagramPacket in) throws IOException {
        int n = 0;
        while (true) {
            try {
                s.receive(in);
                n++;
            } catch (SocketTimeoutException e) {
                return n;
            }
        }
    }

    /** Heap in use after a full collection: what the process keeps. */
    private static long retainedHeap() {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    /** Direct memory held by Netty's default allocator (pooled or adaptive), which the server's channels use. */
    private static long direct() {
        return ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric().usedDirectMemory();
    }

    /** Makes the packets: a quarter random, the rest crafted or mutated from valid queries. */
    static final class Fuzzer {

        private static final byte[][] SEEDS;

        static {
            try {
                SEEDS = new byte[][] {
                    query("www.example.test.", Type.A), query("big.example.test.", Type.TXT),
                    query("chain.example.test.", Type.A), query("example.test.", Type.ANY),
                    query("nope.example.test.", Type.MX), query("1.2.0.192.in-addr.arpa.", Type.PTR),
                    query("_sip._tcp.example.test.", Type.SRV), query("sub.example.test.", Type.NS),
                };
            } catch (IOException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final SplittableRandom random;
        int sent;

        Fuzzer(SplittableRandom random) {
            this.random = random;
        }

        private static byte[] query(String name, int type) throws IOException {
            return Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)).toWire();
        }

        byte[] next() {
            sent++;
            return switch (random.nextInt(8)) {
                case 0, 1 -> randomBytes();
                case 2, 3 -> flipped(SEEDS[random.nextInt(SEEDS.length)]);
                case 4 -> withEdns(SEEDS[random.nextInt(SEEDS.length)]);
                case 5 -> flipped(withEdns(SEEDS[random.nextInt(SEEDS.length)]));
                case 6 -> pointerLoop();
                default -> badCounts(SEEDS[random.nextInt(SEEDS.length)]);
            };
        }

        private byte[] randomBytes() {
            byte[] p = new byte[random.nextInt(0, 600)];
            random.nextBytes(p);
            return p;
        }

        private byte[] flipped(byte[] seed) {
            byte[] p = Arrays.copyOf(seed, Math.max(1, seed.length + random.nextInt(-8, 9)));
            for (int flips = random.nextInt(1, 6); flips > 0; flips--) {
                p[random.nextInt(p.length)] = (byte) random.nextInt(256);
            }
            return p;
        }

        /** The query with an OPT record: Client Subnet (good or bad), cookies, unknown options, lying lengths. */
        private byte[] withEdns(byte[] seed) {
            ByteArrayOutputStream options = new ByteArrayOutputStream();
            for (int n = random.nextInt(0, 4); n > 0; n--) {
                switch (random.nextInt(4)) {
                    case 0 -> {
                        int family = random.nextInt(4) == 0 ? random.nextInt(65_536) : random.nextInt(1, 3);
                        int source = random.nextInt(5) == 0 ? random.nextInt(256) : random.nextInt(0, family == 2 ? 129 : 33);
                        int scope = random.nextInt(4) == 0 ? random.nextInt(256) : 0;
                        int addressBytes = random.nextInt(3) == 0 ? random.nextInt(0, 20) : (source + 7) / 8;
                        byte[] address = new byte[addressBytes];
                        random.nextBytes(address);
                        option(options, 8, concat(new byte[] {(byte) (family >> 8), (byte) family, (byte) source,
                            (byte) scope}, address));
                    }
                    case 1 -> {
                        byte[] cookie = new byte[random.nextInt(3) == 0 ? random.nextInt(0, 48) : 8];
                        random.nextBytes(cookie);
                        option(options, 10, cookie);
                    }
                    case 2 -> {
                        byte[] data = new byte[random.nextInt(0, 30)];
                        random.nextBytes(data);
                        option(options, random.nextInt(65_536), data);
                    }
                    default -> options.writeBytes(new byte[] {0, 8, (byte) 0xff, (byte) 0xff, 0, 1});
                }
            }
            byte[] rdata = options.toByteArray();
            int rdlength = random.nextInt(10) == 0 ? random.nextInt(65_536) : rdata.length;
            int payload = random.nextInt(5) == 0 ? random.nextInt(65_536) : 1232;
            int version = random.nextInt(10) == 0 ? random.nextInt(256) : 0;
            byte[] opt = concat(new byte[] {0, 0, 41, (byte) (payload >> 8), (byte) payload, 0, (byte) version,
                (byte) (random.nextBoolean() ? 0x80 : 0), 0, (byte) (rdlength >> 8), (byte) rdlength}, rdata);
            byte[] p = concat(seed, opt);
            p[11] = 1;
            return p;
        }

        private static void option(ByteArrayOutputStream out, int code, byte[] data) {
            out.writeBytes(new byte[] {(byte) (code >> 8), (byte) code, (byte) (data.length >> 8), (byte) data.length});
            out.writeBytes(data);
        }

        /** Question names whose compression pointers loop, chain forward or point past the end. */
        private byte[] pointerLoop() {
            byte[] header = Arrays.copyOf(SEEDS[0], 12);
            byte[] name = switch (random.nextInt(5)) {
                case 0 -> new byte[] {(byte) 0xc0, 12};
                case 1 -> new byte[] {3, 'w', 'w', 'w', (byte) 0xc0, 12};
                case 2 -> new byte[] {(byte) 0xc0, 14, (byte) 0xc0, 12};
                case 3 -> new byte[] {(byte) 0xc0, (byte) random.nextInt(256)};
                default -> new byte[] {(byte) (0xc0 | random.nextInt(64)), (byte) random.nextInt(256)};
            };
            byte[] p = concat(header, name, new byte[] {0, 1, 0, 1});
            if (random.nextBoolean()) {
                // An OPT record whose owner name is a pointer back into the question.
                p = concat(p, new byte[] {(byte) 0xc0, 12, 0, 41, 4, (byte) 0xd0, 0, 0, 0, 0, 0, 0});
                p[11] = 1;
            }
            return p;
        }

        /** A good question under a header whose section counts say otherwise. */
        private byte[] badCounts(byte[] seed) {
            byte[] p = seed.clone();
            int field = 4 + 2 * random.nextInt(4);
            int value = switch (random.nextInt(3)) {
                case 0 -> 0;
                case 1 -> 65_535;
                default -> random.nextInt(2, 300);
            };
            p[field] = (byte) (value >> 8);
            p[field + 1] = (byte) value;
            return p;
        }

        private static byte[] concat(byte[]... parts) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (byte[] part : parts) {
                out.writeBytes(part);
            }
            return out.toByteArray();
        }
    }
}
