package dev.portico.dns;

import dev.portico.core.config.Problems;
import dev.portico.core.config.YamlLoader;
import dev.portico.core.config.YamlWriter;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** gdnsd-style DYNA lines in zone files, pointing names at resources and dynamic records of the YAML. */
@Timeout(60)
class DynaZoneTest {

    private static final HealthCheckConfig FAST = HealthCheckConfig.builder(HealthCheckType.TCP)
            .interval(Duration.ofMillis(150)).timeout(Duration.ofMillis(300)).downInterval(Duration.ofMillis(100))
            .allDownInterval(Duration.ofMillis(100)).rise(2).fall(2).build();

    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private TcpBackend backend(String ip) throws IOException {
        TcpBackend b = new TcpBackend(ip);
        open.add(b);
        return b;
    }

    private static DynamicRecordSpec spec(String name, long max, long min, TcpBackend... backends) {
        return new DynamicRecordSpec(name, max, min, java.util.Arrays.stream(backends).map(b -> AddressSpec.parse(b.spec())).toList(),
                FAST, 0, List.of());
    }

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text, StandardCharsets.ISO_8859_1);
        return file;
    }

    private static final String HEAD = """
            $ORIGIN dyna.test.
            $TTL 3600
            @   IN SOA ns hostmaster (
                    7      ; serial, and the word DYNA in a comment
                    3600 600 86400 30 )
            @   IN NS ns
            ns  IN A 192.0.2.53
            """;

    private static List<String> addresses(Message m) {
        return m.getSection(Section.ANSWER).stream().filter(r -> r.getType() == Type.A || r.getType() == Type.AAAA)
                .map(Record::rdataToString).toList();
    }

    private DnsFixture serve(Path zone, DnsConfig.Builder extra) throws IOException {
        DnsFixture f = DnsFixture.start(dir, b -> {
            b.zone("dyna.test", zone);
            extra.build().dynamic().forEach(b::dynamic);
            extra.build().resources().forEach(b::resource);
            return b.rrl(extra.build().rrl());
        });
        open.add(f);
        return f;
    }

    private static DnsConfig.Builder records() {
        return DnsConfig.builder().listen("127.0.0.1:0").zone("dyna.test", Path.of("unused"));
    }

    @Test
    void dynaNamesAnswerFromResourcesAndDynamicRecordsAndFailOver() throws Exception {
        TcpBackend a = backend("127.0.0.61");
        TcpBackend b = backend("127.0.0.62");
        TcpBackend backup = backend("127.0.0.63");
        TcpBackend other = backend("127.0.0.64");
        write("extra.inc", "included IN TXT \"from an include\"\n");
        Path zone = write("dyna.test.zone", HEAD + """
                $INCLUDE extra.inc
                www        IN DYNA prod_www      ; from the resource
                           IN TXT  "www also has a TXT"
                api   30   IN DYNA dyn.dyna.test.
                note       IN TXT  "a DYNA word in a TXT"
                dyn        IN TXT  "the dynamic record's own name"
                """);
        DnsFixture dns = serve(zone, records().resource(spec("prod_www", 300, 5, a, b)).resource(spec("_prod_www", 60, 60, backup))
                .dynamic(spec("dyn.dyna.test", 120, 120, other)));

        await().atMost(Duration.ofSeconds(10)).until(() -> dns.query("www.dyna.test.", Type.A).getSection(Section.ANSWER)
                .stream().allMatch(r -> r.getTTL() == 300));
        assertThat(addresses(dns.query("www.dyna.test.", Type.A))).containsExactlyInAnyOrder(a.ip(), b.ip());
        assertThat(addresses(dns.query("WWW.Dyna.Test.", Type.A, true))).as("over TCP, any case").hasSize(2);
        Message txt = dns.query("www.dyna.test.", Type.TXT);
        assertThat(((TXTRecord) txt.getSection(Section.ANSWER).getFirst()).getStrings()).containsExactly("www also has a TXT");
        Message mx = dns.query("api.dyna.test.", Type.MX);
        assertThat(mx.getRcode()).as("a DYNA name exists: NODATA, not NXDOMAIN").isEqualTo(Rcode.NOERROR);
        assertThat(mx.getSection(Section.ANSWER)).isEmpty();

        await().atMost(Duration.ofSeconds(10)).until(() -> addresses(dns.query("api.dyna.test.", Type.A)).equals(List.of(other.ip())));
        assertThat(dns.query("api.dyna.test.", Type.A).getSection(Section.ANSWER).getFirst().getTTL())
                .as("the line's TTL caps the record's").isEqualTo(30);
        assertThat(dns.query("included.dyna.test.", Type.TXT).getSection(Section.ANSWER)).hasSize(1);
        assertThat(dns.query("note.dyna.test.", Type.TXT).getSection(Section.ANSWER)).hasSize(1);

        a.stop();
        b.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> addresses(dns.query("www.dyna.test.", Type.A)).equals(List.of(backup.ip())));
        assertThat(dns.service().dynamicPools()).containsKeys("prod_www", "_prod_www", "dyn.dyna.test");
    }

    @Test
    void mistakesNameTheFileAndLine() throws Exception {
        Set<String> targets = Set.of("prod_www", "dyn.dyna.test");
        Path unknown = write("unknown.zone", HEAD + "www IN DYNA prod_ww\n");
        assertThatThrownBy(() -> ZoneSet.load(java.util.Map.of("dyna.test", unknown), targets))
                .hasMessageContaining(unknown + ":8: DYNA points at 'prod_ww'").hasMessageContaining("did you mean 'prod_www'");
        Path twoWords = write("two.zone", HEAD + "\n\nwww IN DYNA prod_www extra\n");
        assertThatThrownBy(() -> ZoneSet.load(java.util.Map.of("dyna.test", twoWords), targets))
                .hasMessageContaining(twoWords + ":10: DYNA takes one word");
        Path withA = write("a.zone", HEAD + "www IN DYNA prod_www\nwww IN A 192.0.2.1\n");
        assertThatThrownBy(() -> ZoneSet.load(java.util.Map.of("dyna.test", withA), targets))
                .hasMessageContaining(withA + ":8: www.dyna.test. has both DYNA and A records");
        Path minTtl = write("min.zone", HEAD + "www 300/5 IN DYNA prod_www\n");
        assertThatThrownBy(() -> ZoneSet.load(java.util.Map.of("dyna.test", minTtl), targets))
                .hasMessageContaining(minTtl + ":8: a DYNA TTL is one value");
        Path laterError = write("later.zone", HEAD + "www IN DYNA prod_www\nbad IN A not-an-address\n");
        assertThatThrownBy(() -> ZoneSet.load(java.util.Map.of("dyna.test", laterError), targets))
                .hasMessageContaining(laterError + ":9:").hasMessageNotContaining("<none>");
        Path outside = write("outside.zone", HEAD + "www.elsewhere.test. IN DYNA prod_www\n");
        assertThatThrownBy(() -> ZoneSet.load(java.util.Map.of("dyna.test", outside), targets))
                .hasMessageContaining(outside + ":8: the DYNA record's name is outside the zone dyna.test.");
    }

    @Test
    void checkReportsEveryMistakeOfAFileAndItsIncludes() throws Exception {
        Set<String> targets = Set.of("prod_www");
        Files.createDirectories(dir.resolve("parts"));
        Path part = write("parts/more.inc", "ok2 IN A 192.0.2.9\nbad2 IN MX ten mail\nwww2 IN DYNA prod_ww\n");
        Path zone = write("many.zone", HEAD + "www IN DYNA prod_ww\nok IN A 192.0.2.1\n"
                + "multi IN SOA ns hostmaster (\n  1 2 bogus 4 5 )\nafter IN TXT \"fine\"\n"
                + "$INCLUDE parts/more.inc\nlast IN AAAA nope\n");
        List<String> errors = ZoneSet.check(java.util.Map.of("dyna.test", zone), targets).get("dyna.test").stream()
                .map(DynaZoneFile.ZoneError::toString).toList();
        assertThat(errors).hasSize(5).noneSatisfy(e -> assertThat(e).contains("portico-zone-"));
        assertThat(errors.get(0)).startsWith(zone + ":8: DYNA points at 'prod_ww'");
        assertThat(errors.subList(1, 5)).map(e -> e.substring(0, e.indexOf(": ")))
                .containsExactly(zone + ":11", zone + ":14", part + ":2", part + ":3");
        assertThat(errors.get(4)).contains("DYNA points at 'prod_ww'");
        Path good = write("good.zone", HEAD + "www IN DYNA prod_www\n");
        assertThat(ZoneSet.check(java.util.Map.of("dyna.test", good), targets)).isEmpty();
        Path noSoa = write("nosoa.zone", "$ORIGIN dyna.test.\nx 300 IN A 192.0.2.1\nbad IN A 1.2.3\n");
        assertThat(ZoneSet.check(java.util.Map.of("dyna.test", noSoa), targets).get("dyna.test"))
                .extracting(DynaZoneFile.ZoneError::line).containsExactly(3, 0);
    }

    @Test
    void dynaLinesInIncludedFilesAnswerAndTheirMistakesNameTheIncludedFile() throws Exception {
        TcpBackend a = backend("127.0.0.68");
        Files.createDirectories(dir.resolve("parts"));
        write("parts/inner.inc", "deep IN DYNA prod_www\n");
        // Relative $INCLUDEs are read relative to the including file, here parts/.
        write("parts/hosts.inc", "www IN DYNA prod_www   ; included\n$INCLUDE inner.inc\n");
        Path zone = write("inc.zone", HEAD + "$INCLUDE parts/hosts.inc\nplain IN TXT \"after the include\"\n");
        DnsFixture dns = serve(zone, records().resource(spec("prod_www", 300, 5, a)));
        await().atMost(Duration.ofSeconds(10)).until(() -> addresses(dns.query("www.dyna.test.", Type.A)).equals(List.of(a.ip())));
        assertThat(addresses(dns.query("deep.dyna.test.", Type.A))).containsExactly(a.ip());
        assertThat(((TXTRecord) dns.query("plain.dyna.test.", Type.TXT).getSection(Section.ANSWER).getFirst()).getStrings())
                .containsExactly("after the include");

        Set<String> targets = Set.of("prod_www");
        Path badInclude = write("parts/bad.inc", "\nwww IN DYNA prod_ww\n");
        Path bad = write("bad.zone", HEAD + "$INCLUDE parts/bad.inc\n");
        assertThatThrownBy(() -> ZoneSet.load(java.util.Map.of("dyna.test", bad), targets))
                .hasMessageContaining(badInclude + ":2: DYNA points at 'prod_ww'");
        Path laterInclude = write("parts/later.inc", "www IN DYNA prod_www\nbad IN A not-an-address\n");
        Path later = write("later-inc.zone", HEAD + "$INCLUDE parts/later.inc\n");
        assertThatThrownBy(() -> ZoneSet.load(java.util.Map.of("dyna.test", later), targets))
                .hasMessageContaining(laterInclude + ":2: Invalid address").hasMessageNotContaining("portico-zone-");
        Path missing = write("missing.zone", HEAD + "$INCLUDE parts/none.inc\n");
        assertThatThrownBy(() -> ZoneSet.load(java.util.Map.of("dyna.test", missing), targets))
                .hasMessageContaining(missing + ":8: $INCLUDE parts/none.inc").hasMessageContaining("no such file");
        Path loop = write("loop.zone", HEAD + "$INCLUDE loop.zone\n");
        assertThatThrownBy(() -> ZoneSet.load(java.util.Map.of("dyna.test", loop), targets))
                .hasMessageContaining("$INCLUDE nested more than 8 files deep");
    }

    @Test
    void reloadSwapsWhereDynaNamesPointAtomically() throws Exception {
        TcpBackend a = backend("127.0.0.65");
        TcpBackend b = backend("127.0.0.66");
        Path zone = write("dyna.test.zone", HEAD + "www IN DYNA blue\n");
        // Queries in a tight loop from one address: rate limiting would drop most of them.
        DnsFixture dns = serve(zone, records().resource(spec("blue", 60, 60, a)).resource(spec("green", 60, 60, b))
                .rrl(RrlConfig.OFF));
        await().atMost(Duration.ofSeconds(10)).until(() -> addresses(dns.query("www.dyna.test.", Type.A)).equals(List.of(a.ip())));
        await().atMost(Duration.ofSeconds(10)).until(() -> dns.service().dynamicPools().get("green").eligible().size() == 1);

        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<String> bad = new ConcurrentLinkedQueue<>();
        Thread client = Thread.ofPlatform().start(() -> {
            SimpleResolver r = dns.resolver(false);
            while (!stop.get()) {
                try {
                    Message m = r.send(Message.newQuery(Record.newRecord(DnsNames.absolute("www.dyna.test"), Type.A, 1)));
                    List<String> got = addresses(m);
                    if (!got.equals(List.of(a.ip())) && !got.equals(List.of(b.ip()))) {
                        bad.add(m.toString());
                    }
                } catch (IOException e) {
                    bad.add(e.toString());
                }
            }
        });
        for (int i = 0; i < 20; i++) {
            Files.writeString(zone, HEAD + "www IN DYNA " + (i % 2 == 0 ? "green" : "blue") + "\n");
            dns.service().reload();
        }
        stop.set(true);
        client.join();
        assertThat(bad).isEmpty();
        assertThat(addresses(dns.query("www.dyna.test.", Type.A))).containsExactly(a.ip());

        Files.writeString(zone, HEAD + "www IN DYNA green\n");
        dns.service().refresh();
        assertThat(addresses(dns.query("www.dyna.test.", Type.A))).as("SIGHUP's refresh re-reads too").containsExactly(b.ip());

        Files.writeString(zone, HEAD + "www IN DYNA purple\n");
        assertThatThrownBy(() -> dns.service().reload()).hasMessageContaining("dyna.test.zone:8: DYNA points at 'purple'");
        assertThat(addresses(dns.query("www.dyna.test.", Type.A))).as("a failed reload keeps the old data").containsExactly(b.ip());
    }

    @Test
    void digSeesDynaAnswers() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/dig")), "dig is not installed");
        TcpBackend a = backend("127.0.0.67");
        Path zone = write("dyna.test.zone", HEAD + "www 45 IN DYNA prod_www\n");
        DnsFixture dns = serve(zone, records().resource(spec("prod_www", 300, 300, a)));
        await().atMost(Duration.ofSeconds(10)).until(() -> dns.service().dynamicPools().get("prod_www").eligible().size() == 1);
        Process p = new ProcessBuilder("/usr/bin/dig", "@127.0.0.1", "-p", String.valueOf(dns.address().getPort()),
                "+time=2", "+tries=1", "+noall", "+answer", "www.dyna.test", "A").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(out).containsPattern("www\\.dyna\\.test\\.\\s+45\\s+IN\\s+A\\s+127\\.0\\.0\\.67");
    }

    @Test
    void resourcesAreReadFromYamlAndWrittenBack() throws Exception {
        Problems problems = new Problems();
        String yaml = """
                listen: 127.0.0.1:53
                zones: {dyna.test: /z/dyna.zone}
                resources:
                  prod_www: {ttl: 300/10, addresses: [10.0.0.1, 10.0.0.2], health: icmp}
                  _prod_www: {addresses: [10.0.1.1]}
                """;
        DnsConfig c = new DnsServiceType().parse("ns", dev.portico.core.config.Section.of(new YamlLoader().load(yaml, "dns.yaml"),
                "services.ns", problems));
        assertThat(problems.list()).isEmpty();
        assertThat(c.resources()).extracting(DynamicRecordSpec::name).containsExactly("prod_www", "_prod_www");
        assertThat(c.dynaTargets()).containsExactlyInAnyOrder("prod_www", "_prod_www");
        String text = new YamlWriter().write(new DnsServiceType().toYaml(c).orElseThrow());
        DnsConfig again = new DnsServiceType().parse("ns", dev.portico.core.config.Section.of(new YamlLoader().load(text, "again.yaml"),
                "services.ns", problems));
        assertThat(problems.list()).isEmpty();
        assertThat(again).isEqualTo(c);

        DnsConfig bad = new DnsServiceType().parse("ns", dev.portico.core.config.Section.of(new YamlLoader().load("""
                listen: 127.0.0.1:53
                zones: {dyna.test: /z/dyna.zone}
                resources:
                  prod.www: {addresses: [10.0.0.1]}
                """, "bad.yaml"), "services.ns", problems));
        assertThat(bad).isNull();
        assertThat(problems.list()).anySatisfy(p -> assertThat(p.toString()).startsWith("bad.yaml:").contains("must be one word"));
    }
}
