package dev.portico.testing.netem;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** ping and iperf3 runs inside a topology's namespaces, with their outputs parsed. */
final class NetTools {

    private static final Pattern RTT = Pattern.compile("rtt min/avg/max/mdev = ([0-9.]+)/([0-9.]+)/([0-9.]+)/([0-9.]+) ms");
    private static final Pattern REPLY = Pattern.compile("icmp_seq=(\\d+) .*time=([0-9.]+) ms");
    private static final Pattern UDP_RECEIVER = Pattern.compile("(\\d+)/(\\d+) \\([0-9.e+-]+%\\)\\s+receiver");
    private static final Pattern OUT_OF_ORDER = Pattern.compile("(\\d+) datagrams received out-of-order");

    private NetTools() {
    }

    record Ping(double min, double avg, double median, Set<Integer> received) {
    }

    record Udp(long lost, long sent, long outOfOrder) {
        double lossFraction() {
            return (double) lost / sent;
        }
    }

    /** What iperf3's receiver got a second, after slow start, and the connection's MSS. */
    record Tcp(double receivedBitsPerSecond, int mss) {
        /** Frames on the link per byte of TCP payload: MSS + 66 bytes of Ethernet, IP and TCP headers. */
        double frameFactor() {
            return (mss + 66.0) / mss;
        }
    }

    static Ping ping(NetnsTopology.Host from, String to, int count, String interval) throws Exception {
        NetnsTopology.Result r = from.exec(Duration.ofSeconds(60), "ping", "-n", "-c", Integer.toString(count),
                "-i", interval, "-W", "2", to);
        Matcher m = RTT.matcher(r.stdout());
        assertThat(m.find()).as("ping's summary in:\n%s%s", r.stdout(), r.stderr()).isTrue();
        Set<Integer> seqs = new TreeSet<>();
        List<Double> times = new ArrayList<>();
        Matcher s = REPLY.matcher(r.stdout());
        while (s.find()) {
            seqs.add(Integer.parseInt(s.group(1)));
            times.add(Double.parseDouble(s.group(2)));
        }
        Collections.sort(times);
        double median = times.size() % 2 == 1 ? times.get(times.size() / 2)
                : (times.get(times.size() / 2 - 1) + times.get(times.size() / 2)) / 2;
        return new Ping(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), median, seqs);
    }

    /** Starts {@code iperf3 -s} on the host (stopped with the topology) and waits until it listens. */
    static void iperfServer(NetnsTopology.Host host, Path log) throws IOException {
        host.start(log, "iperf3", "-s");
        String ss = NetnsTopology.findCommand("ss");
        await().atMost(Duration.ofSeconds(10)).until(() ->
                host.exec(Duration.ofSeconds(5), ss, "-Hltn", "sport = :5201").stdout().contains("5201"));
    }

    /**
     * UDP at a modest rate: on a busy machine a receiver that waits for a CPU overflows its socket
     * buffer (about 100 datagrams by default), a loss the emulator cannot see.
     */
    static Udp udp(NetnsTopology.Host from, String to, String rate, String seconds) throws Exception {
        NetnsTopology.Result r = from.exec(Duration.ofSeconds(60), "iperf3", "-c", to, "-u", "-b", rate, "-l", "1000",
                "-t", seconds, "--get-server-output");
        Matcher m = UDP_RECEIVER.matcher(r.stdout());
        assertThat(m.find()).as("iperf3's receiver line in:\n%s%s", r.stdout(), r.stderr()).isTrue();
        Matcher o = OUT_OF_ORDER.matcher(r.stdout());
        return new Udp(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), o.find() ? Long.parseLong(o.group(1)) : 0);
    }

    /** One iperf3 TCP run, the first {@code omit} seconds (slow start) left out. */
    static Tcp tcp(NetnsTopology.Host from, String to, String congestionControl, String seconds, String omit)
            throws Exception {
        NetnsTopology.Result r = from.exec(Duration.ofSeconds(60), "iperf3", "-c", to, "-C", congestionControl, "-t", seconds,
                "-O", omit, "-J");
        JsonNode json = new ObjectMapper().readTree(r.stdout());
        JsonNode received = json.path("end").path("sum_received");
        assertThat(received.has("bits_per_second")).as("iperf3's sum_received in:\n%s%s", r.stdout(), r.stderr()).isTrue();
        return new Tcp(received.get("bits_per_second").asDouble(),
                json.path("start").path("tcp_mss_default").asInt(1448));
    }
}
