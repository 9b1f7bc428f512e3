package dev.portico.dns;

import dev.portico.upstream.Pool;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Geo variants from a MaxMind DB the test writes itself, with nets before geo and health fallback. */
@Timeout(60)
class GeoAnswersTest {

    private static final HealthCheckConfig FAST = HealthCheckConfig.builder(HealthCheckType.TCP)
            .interval(Duration.ofMillis(150)).timeout(Duration.ofMillis(300)).downInterval(Duration.ofMillis(100))
            .allDownInterval(Duration.ofMillis(100)).rise(2).fall(3).build();
    private static final String NAME = "geo.example.test.";

    @TempDir
    static Path shared;
    static Path mmdb;

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @BeforeAll
    static void writeDatabase() throws Exception {
        mmdb = shared.resolve("test-country.mmdb");
        new MmdbWriter()
                .insert("127.0.0.0/24", MmdbWriter.country("CN", "AS"))
                .insert("127.0.1.0/24", MmdbWriter.country("US", "NA"))
                .insert("127.0.2.0/24", MmdbWriter.country("DE", "EU"))
                .insert("127.0.3.0/24", MmdbWriter.country("JP", "AS"))
                .insert("2001:db8::/32", MmdbWriter.country("CA", "NA"))
                .write(mmdb);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeLater.reversed()) {
            c.close();
        }
    }

    private DnsFixture serve(DynamicRecordSpec... specs) throws Exception {
        DnsFixture f = DnsFixture.start(dir, b -> {
            b.geoipDb(mmdb);
            for (DynamicRecordSpec s : specs) {
                b.dynamic(s);
            }
            return b;
        });
        closeLater.add(f);
        return f;
    }

    private static DynamicRecordSpec world() {
        return DynamicRecordSpec.of("geo.example.test", 300, RangeAnswersTest.NONE, "127.0.0.1")
                .withVariants(ClientVariants.builder()
                        .geo("CN", "127.0.0.2")
                        .geo("AS", "127.0.0.3")
                        .geo("US/CA", "127.0.0.4")
                        .net("127.0.2.0/25", "127.0.0.5")
                        .build());
    }

    @Test
    void theReaderSeesWhatTheWriterWrote() throws Exception {
        try (GeoIpDb db = GeoIpDb.open(mmdb)) {
            assertThat(db.lookup(InetAddress.getByName("127.0.0.9"))).isEqualTo(new GeoIpDb.Location("CN", "AS", 24));
            assertThat(db.lookup(InetAddress.getByName("127.0.1.9"))).isEqualTo(new GeoIpDb.Location("US", "NA", 24));
            assertThat(db.lookup(InetAddress.getByName("2001:db8:5::1"))).isEqualTo(new GeoIpDb.Location("CA", "NA", 32));
            GeoIpDb.Location nowhere = db.lookup(InetAddress.getByName("192.0.2.1"));
            assertThat(nowhere.country()).isNull();
            assertThat(nowhere.prefix()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void countryFirstThenContinentThenTheDefault(boolean tcp) throws Exception {
        DnsFixture dns = serve(world());
        RangeAnswersTest.assertAnswer(dns, NAME, tcp, "127.0.0.0/24", "127.0.0.2", 24);   // CN: the country wins over AS
        RangeAnswersTest.assertAnswer(dns, NAME, tcp, "127.0.3.0/24", "127.0.0.3", 24);   // JP: no country variant, continent AS
        RangeAnswersTest.assertAnswer(dns, NAME, tcp, "127.0.1.0/24", "127.0.0.4", 24);   // US in "US/CA"
        RangeAnswersTest.assertAnswer(dns, NAME, tcp, "2001:db8:1::/48", "127.0.0.4", 32); // CA in "US/CA", over IPv6
        RangeAnswersTest.assertAnswer(dns, NAME, tcp, "127.0.2.0/25", "127.0.0.5", 25);   // nets before geo
        RangeAnswersTest.assertAnswer(dns, NAME, tcp, "127.0.2.128/25", "127.0.0.1", 25); // DE/EU: no variant
        RangeAnswersTest.assertAnswer(dns, NAME, tcp, "192.0.2.0/24", "127.0.0.1", 1);    // unknown to the database
    }

    @Test
    void theResolversOwnAddressIsLookedUpWithoutClientSubnet() throws Exception {
        DnsFixture dns = serve(world());
        assertThat(EcsQueries.addresses(EcsQueries.query(dns, NAME, Type.A, false, null))).containsExactly("127.0.0.2");
        assertThat(EcsQueries.addresses(dns.query(NAME, Type.A, true))).containsExactly("127.0.0.2");
    }

    @Test
    void answersForOneClientNeverLeakToAnother() throws Exception {
        DnsFixture dns = serve(world());
        for (int i = 0; i < 15; i++) {
            for (String[] c : new String[][] {{"127.0.0.0/24", "127.0.0.2"}, {"127.0.1.0/24", "127.0.0.4"},
                {"127.0.3.0/24", "127.0.0.3"}, {"127.0.2.128/25", "127.0.0.1"}}) {
                assertThat(EcsQueries.addresses(EcsQueries.query(dns, NAME, Type.A, i % 2 == 0, c[0])))
                        .as("client %s, round %d", c[0], i).containsExactly(c[1]);
            }
        }
    }

    @Test
    void aVariantWhoseBackendsAreDownFallsBackToTheDefaultsThenTheChain() throws Exception {
        TcpBackend home = backend("127.0.0.41");
        TcpBackend china = backend("127.0.0.42");
        TcpBackend backup = backend("127.0.0.43");
        DynamicRecordSpec main = new DynamicRecordSpec("geo.example.test", 300, 5,
                List.of(AddressSpec.parse(home.spec())), FAST, 0, List.of(),
                ClientVariants.builder().geo("CN", china.spec(), home.spec()).geo("US", china.spec()).build());
        DynamicRecordSpec level2 = new DynamicRecordSpec("_geo.example.test", 120, 4,
                List.of(AddressSpec.parse(backup.spec())), FAST, 0, List.of());
        DnsFixture dns = serve(main, level2);
        Pool pool = dns.service().dynamicPools().get("geo.example.test");
        assertThat(pool.members()).as("each address is checked once, however many sets name it").hasSize(2);

        await().atMost(Duration.ofSeconds(10)).until(() -> ttls(EcsQueries.query(dns, NAME, Type.A, false, "127.0.1.0/24"))
                .equals(List.of(300L)));
        assertThat(EcsQueries.addresses(EcsQueries.query(dns, NAME, Type.A, false, "127.0.1.0/24"))).containsExactly(china.ip());
        assertThat(EcsQueries.addresses(EcsQueries.query(dns, NAME, Type.A, false, "127.0.0.0/24")))
                .containsExactlyInAnyOrder(china.ip(), home.ip());

        china.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> EcsQueries.addresses(
                EcsQueries.query(dns, NAME, Type.A, false, "127.0.1.0/24")).equals(List.of(home.ip())));
        assertThat(EcsQueries.addresses(EcsQueries.query(dns, NAME, Type.A, false, "127.0.0.0/24")))
                .as("the CN set keeps its healthy address").containsExactly(home.ip());
        Message fallback = EcsQueries.query(dns, NAME, Type.A, false, "127.0.1.0/24");
        assertThat(EcsQueries.ecs(fallback).getScopePrefixLength()).as("still a client-dependent answer").isEqualTo(24);

        home.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> EcsQueries.addresses(
                EcsQueries.query(dns, NAME, Type.A, false, "127.0.1.0/24")).equals(List.of(backup.ip())));
        assertThat(ttls(EcsQueries.query(dns, NAME, Type.A, false, "127.0.0.0/24"))).singleElement().isIn(120L, 4L);

        china.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> EcsQueries.addresses(
                EcsQueries.query(dns, NAME, Type.A, false, "127.0.1.0/24")).equals(List.of(china.ip())));
        assertThat(EcsQueries.addresses(EcsQueries.query(dns, NAME, Type.A, false, "192.0.2.0/24")))
                .as("clients without a variant still get the chain").containsExactly(backup.ip());
    }

    @Test
    void digAsksWithAClientSubnet() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/dig")), "dig is not installed (apt-get install bind9-dnsutils)");
        DnsFixture dns = serve(world());
        for (String transport : List.of("+notcp", "+tcp")) {
            String us = RangeAnswersTest.dig(dns, transport, "+subnet=127.0.1.0/24", "geo.example.test");
            assertThat(us).contains("status: NOERROR").contains("CLIENT-SUBNET: 127.0.1.0/24/24").contains("127.0.0.4");
            String cn = RangeAnswersTest.dig(dns, transport, "+subnet=127.0.0.0/24", "geo.example.test");
            assertThat(cn).contains("CLIENT-SUBNET: 127.0.0.0/24/24").contains("127.0.0.2");
        }
    }

    @Test
    void aMissingOrBrokenDatabaseStopsTheStartWithItsName() throws Exception {
        Path broken = dir.resolve("broken.mmdb");
        Files.writeString(broken, "not a database");
        for (Path p : List.of(broken, dir.resolve("missing.mmdb"))) {
            assertThatThrownBy(() -> DnsFixture.start(dir, b -> b.geoipDb(p).dynamic(world())))
                    .hasMessageContaining("geoip_db " + p);
        }
    }

    private TcpBackend backend(String ip) throws Exception {
        TcpBackend b = new TcpBackend(ip);
        closeLater.add(b);
        return b;
    }

    private static List<Long> ttls(Message m) {
        return m.getSection(Section.ANSWER).stream().map(r -> r.getTTL()).toList();
    }
}
