package dev.portico.dns;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.time.Clock;

/**
 * What {@link Rrl#check} costs per answer: a loop over two positive answers and one NXDOMAIN,
 * limited at a rate nothing reaches, printing the thread's CPU nanoseconds per answer (CPU time,
 * so that other processes on a busy machine count less). Argument: how many /24 prefixes the
 * answers come from (default 256).
 */
public final class RrlLoopBench {

    private RrlLoopBench() {
    }

    /**
     * Prints CPU nanoseconds per check, five rounds.
     *
     * @param args optionally the number of client prefixes
     * @throws Exception when the answers cannot be built
     */
    public static void main(String[] args) throws Exception {
        int prefixes = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        Rrl rrl = new Rrl(RrlConfig.builder().ratelimit(RrlConfig.MAX_RATELIMIT).build(), Clock.systemUTC(),
                new RrlMeters("bench", new SimpleMeterRegistry()), 1);
        String[] names = {"www.example.test.", "mail.example.test.", "nope.example.test."};
        byte[][] wires = new byte[names.length][];
        ByteBuf[] answers = new ByteBuf[names.length];
        for (int i = 0; i < names.length; i++) {
            Name name = Name.fromString(names[i]);
            Message m = new Message(1);
            m.getHeader().setFlag(Flags.QR);
            m.getHeader().setFlag(Flags.AA);
            m.addRecord(Record.newRecord(name, Type.A, DClass.IN), Section.QUESTION);
            if (i < 2) {
                m.addRecord(new ARecord(name, DClass.IN, 300, InetAddress.getByName("192.0.2.1")), Section.ANSWER);
            } else {
                m.getHeader().setRcode(Rcode.NXDOMAIN);
                m.addRecord(new SOARecord(Name.fromString("example.test."), DClass.IN, 300, Name.fromString("ns1.example.test."),
                        Name.fromString("hostmaster.example.test."), 1, 7200, 900, 1209600, 300), Section.AUTHORITY);
            }
            m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
            wires[i] = m.toWire();
            answers[i] = Unpooled.wrappedBuffer(wires[i]);
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        byte[] address = {10, 0, 0, 1};
        int n = 20_000_000;
        for (int round = 0; round < 5; round++) {
            long second = rrl.second();
            long start = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
                int p = i % prefixes;
                address[1] = (byte) (p >> 8);
                address[2] = (byte) p;
                int a = i % names.length;
                ByteBuf b = answers[a].setIndex(0, wires[a].length);
                rrl.check(address, 4, b, second);
            }
            System.out.printf("%d prefixes: %d ns CPU per check%n", prefixes,
                    (threads.getCurrentThreadCpuTime() - start) / n);
        }
    }
}
