package dev.portico.dns;

import dev.portico.core.transport.Transport;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;

/** A running server over copies of the test zones, and dnsjava clients that talk to it. */
final class DnsFixture implements AutoCloseable {

    static final List<String> ZONES = List.of("example.test", "2.0.192.in-addr.arpa");

    private final EmbeddedDns dns;
    private final Path dir;

    private DnsFixture(EmbeddedDns dns, Path dir) {
        this.dns = dns;
        this.dir = dir;
    }

    /** Copies the test zone files into {@code dir} and serves them on 127.0.0.1, port 0. */
    static DnsFixture start(Path dir, UnaryOperator<DnsConfig.Builder> customize) throws IOException {
        return start(dir, customize, null);
    }

    /** As {@link #start(Path, UnaryOperator)} on a given transport (null: the best one here). */
    static DnsFixture start(Path dir, UnaryOperator<DnsConfig.Builder> customize, Transport.Kind transport)
            throws IOException {
        DnsConfig.Builder b = DnsConfig.builder().listen("127.0.0.1:0");
        for (String zone : ZONES) {
            b.zone(zone, copyZone(dir, zone));
        }
        return new DnsFixture(EmbeddedDns.start(customize.apply(b).build(), 2, transport), dir);
    }

    static DnsFixture start(Path dir) throws IOException {
        return start(dir, b -> b);
    }

    static Path copyZone(Path dir, String zone) {
        Path target = dir.resolve(zone + ".zone");
        try (InputStream in = DnsFixture.class.getResourceAsStream("/zones/" + zone + ".zone")) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    Transport transport() {
        return dns.transport();
    }

    DnsService service() {
        return dns.service();
    }

    InetSocketAddress address() {
        return dns.address();
    }

    Path dir() {
        return dir;
    }

    /** A resolver for this server; UDP with EDNS (payload 1232) unless told otherwise. */
    SimpleResolver resolver(boolean tcp) {
        SimpleResolver r = new SimpleResolver(address());
        r.setTCP(tcp);
        r.setTimeout(Duration.ofSeconds(3));
        r.setEDNS(0, 1232, 0, List.of());
        return r;
    }

    Message query(String name, int type, boolean tcp) throws IOException {
        return resolver(tcp).send(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
    }

    Message query(String name, int type) throws IOException {
        return query(name, type, false);
    }

    @Override
    public void close() {
        dns.close();
    }
}
