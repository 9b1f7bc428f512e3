package dev.portico.dns;

import dev.portico.testing.LogCapture;
import ch.qos.logback.classic.Level;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Type;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Range answers (gdnsd's nets): the client's network picks the address set, with the right ECS scope. */
@Timeout(60)
class RangeAnswersTest {

    static final HealthCheckConfig NONE = HealthCheckConfig.builder(HealthCheckType.NONE).build();
    static final String NAME = "gslb.example.test.";

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeLater.reversed()) {
            c.close();
        }
    }

    private DnsFixture serve(ClientVariants variants) throws Exception {
        DynamicRecordSpec spec = DynamicRecordSpec.of("gslb.example.test", 300, NONE, "127.0.0.1").withVariants(variants);
        DnsFixture f = DnsFixture.start(dir, b -> b.dynamic(spec));
        closeLater.add(f);
        return f;
    }

    private static ClientVariants inline() {
        return ClientVariants.builder()
                .net("127.0.0.0/16", "127.0.0.2")
                .net("127.0.1.0/24", "127.0.0.3")
                .net("2001:db8::/32", "127.0.0.4")
                .build();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theMostSpecificRangeWinsAndTheScopeSaysHowFarItHolds(boolean tcp) throws Exception {
        DnsFixture dns = serve(inline());
        assertAnswer(dns, tcp, "127.0.1.0/24", "127.0.0.3", 24);
        assertAnswer(dns, tcp, "127.0.1.128/25", "127.0.0.3", 24);
        // 127.0.2.0/23 holds no more specific range: the /16 answers for all of it.
        assertAnswer(dns, tcp, "127.0.2.0/24", "127.0.0.2", 23);
        assertAnswer(dns, tcp, "127.0.128.0/17", "127.0.0.2", 17);
        assertAnswer(dns, tcp, "127.9.0.0/16", "127.0.0.1", 13);
        // Outside every range: the default, good for the block that holds no range (192/1 here).
        assertAnswer(dns, tcp, "192.0.2.0/24", "127.0.0.1", 1);
        assertAnswer(dns, tcp, "2001:db8:1::/48", "127.0.0.4", 32);
        // A source prefix of 0 asks for an answer that suits everyone.
        assertAnswer(dns, tcp, "0.0.0.0/0", "127.0.0.1", 0);
    }

    @Test
    void withoutClientSubnetTheResolversAddressDecides() throws Exception {
        DnsFixture dns = serve(inline());
        Message m = EcsQueries.query(dns, NAME, Type.A, false, null);
        assertThat(EcsQueries.addresses(m)).as("our resolver is 127.0.0.1, inside 127.0.0.0/16").containsExactly("127.0.0.2");
        assertThat(EcsQueries.ecs(m)).isNull();
    }

    @Test
    void differentSubnetsNeverShareAnAnswer() throws Exception {
        DnsFixture dns = serve(inline());
        for (int i = 0; i < 20; i++) {
            assertThat(EcsQueries.addresses(EcsQueries.query(dns, NAME, Type.A, i % 3 == 0, "127.0.1.0/24")))
                    .containsExactly("127.0.0.3");
            assertThat(EcsQueries.addresses(EcsQueries.query(dns, NAME, Type.A, i % 3 == 1, "127.0.2.0/24")))
                    .containsExactly("127.0.0.2");
            assertThat(EcsQueries.addresses(EcsQueries.query(dns, NAME, Type.A, false, "192.0.2.0/24")))
                    .containsExactly("127.0.0.1");
        }
    }

    @Test
    void theRangesFileIsReadAgainWhenItChangesAndABadLineKeepsTheOldRanges() throws Exception {
        Path file = dir.resolve("nets.txt");
        Files.writeString(file, """
                # ranges
                127.0.1.0/24   127.0.0.21, 127.0.0.22
                127.0.2.0/24   127.0.0.23   # trailing comment
                """);
        DnsFixture dns = serve(ClientVariants.builder().net("127.0.2.0/24", "127.0.0.30").netsFile(file).build());
        assertThat(EcsQueries.addresses(EcsQueries.query(dns, NAME, Type.A, false, "127.0.1.0/24")))
                .containsExactlyInAnyOrder("127.0.0.21", "127.0.0.22");
        assertThat(EcsQueries.addresses(EcsQueries.query(dns, NAME, Type.A, false, "127.0.2.0/24")))
                .as("an inline range wins over the file's for the same CIDR").containsExactly("127.0.0.30");

        replace(file, "127.0.1.0/24 127.0.0.24\n127.0.3.0/24 127.0.0.25\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> EcsQueries.addresses(
                EcsQueries.query(dns, NAME, Type.A, false, "127.0.1.0/24")).equals(List.of("127.0.0.24")));
        assertThat(EcsQueries.addresses(EcsQueries.query(dns, NAME, Type.A, false, "127.0.3.0/24")))
                .containsExactly("127.0.0.25");

        try (LogCapture logs = new LogCapture(NetsFileWatcher.class)) {
            replace(file, "127.0.1.0/24 127.0.0.26\n127.0.4.0/33 127.0.0.27\n");
            await().atMost(Duration.ofSeconds(10)).until(() -> logs.messages(Level.ERROR).stream()
                    .anyMatch(m -> m.contains(file + ":2: ")));
            assertThat(logs.messages(Level.ERROR))
                    .anySatisfy(m -> assertThat(m).contains("prefix length out of range").contains("keeping the ranges in use"));
            assertThat(EcsQueries.addresses(EcsQueries.query(dns, NAME, Type.A, false, "127.0.1.0/24")))
                    .as("the previous ranges stay").containsExactly("127.0.0.24");
        }
    }

    @Test
    void digShowsTheScope() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/dig")), "dig is not installed (apt-get install bind9-dnsutils)");
        DnsFixture dns = serve(inline());
        for (String transport : List.of("+notcp", "+tcp")) {
            String out = dig(dns, transport, "+subnet=127.0.1.0/24", "gslb.example.test");
            assertThat(out).contains("status: NOERROR").contains("CLIENT-SUBNET: 127.0.1.0/24/24").contains("127.0.0.3");
            String other = dig(dns, transport, "+subnet=127.0.2.0/24", "gslb.example.test");
            assertThat(other).contains("CLIENT-SUBNET: 127.0.2.0/24/23").contains("127.0.0.2");
        }
    }

    static String dig(DnsFixture dns, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/dig", "@127.0.0.1", "-p",
                String.valueOf(dns.address().getPort()), "+time=2", "+tries=1"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    /** Replaces the file in one step (a new inode), as editors and deploy tools do. */
    private void replace(Path file, String content) throws Exception {
        Path tmp = Files.createTempFile(dir, "nets", ".tmp");
        Files.writeString(tmp, content);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static void assertAnswer(DnsFixture dns, boolean tcp, String subnet, String address, int scope) throws Exception {
        assertAnswer(dns, NAME, tcp, subnet, address, scope);
    }

    static void assertAnswer(DnsFixture dns, String name, boolean tcp, String subnet, String address, int scope)
            throws Exception {
        Message m = EcsQueries.query(dns, name, Type.A, tcp, subnet);
        assertThat(EcsQueries.addresses(m)).as("answer for %s: %s", subnet, m).containsExactly(address);
        ClientSubnetOption ecs = EcsQueries.ecs(m);
        assertThat(ecs).isNotNull();
        assertThat(ecs.getScopePrefixLength()).as("scope for %s", subnet).isEqualTo(scope);
        assertThat(ecs.getSourcePrefixLength()).isEqualTo(Integer.parseInt(subnet.substring(subnet.indexOf('/') + 1)));
    }
}
