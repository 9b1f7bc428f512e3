package dev.portico.dns;

import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

/** dnsjava queries that carry an EDNS Client Subnet option, and what the answers say about it. */
final class EcsQueries {

    private EcsQueries() {
    }

    /**
     * Sends a query with Client Subnet {@code subnet} ("127.0.1.0/24"), or without the option when null.
     */
    static Message query(DnsFixture dns, String name, int type, boolean tcp, String subnet) throws IOException {
        SimpleResolver r = new SimpleResolver(dns.address());
        r.setTCP(tcp);
        r.setTimeout(Duration.ofSeconds(3));
        List<EDNSOption> options = subnet == null ? List.of() : List.of(option(subnet));
        r.setEDNS(0, 1232, 0, options);
        return r.send(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
    }

    static ClientSubnetOption option(String subnet) throws IOException {
        int slash = subnet.indexOf('/');
        return new ClientSubnetOption(Integer.parseInt(subnet.substring(slash + 1)),
                InetAddress.getByName(subnet.substring(0, slash)));
    }

    /** The answer's Client Subnet option, or null. */
    static ClientSubnetOption ecs(Message m) {
        OPTRecord opt = m.getOPT();
        if (opt == null) {
            return null;
        }
        List<EDNSOption> o = opt.getOptions(EDNSOption.Code.CLIENT_SUBNET);
        return o.isEmpty() ? null : (ClientSubnetOption) o.getFirst();
    }

    static List<String> addresses(Message m) {
        return m.getSection(Section.ANSWER).stream().map(Record::rdataToString).toList();
    }
}
