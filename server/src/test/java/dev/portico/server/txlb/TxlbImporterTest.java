package dev.portico.server.txlb;

import dev.portico.core.net.HostPort;
import dev.portico.lb.LbConfig;
import dev.portico.server.CliRun;
import dev.portico.server.Main;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServerConfigReader;
import dev.portico.upstream.health.HealthCheckType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class TxlbImporterTest {

    private static final String TXLB = """
            <?xml version="1.0"?>
            <config>
              <!-- a comment -->
              <service name="twisted-lorien">
                <note>ignored</note>
                <listen ip="*:8080" />
                <listen ip="127.0.0.1:8081" />
                <group name="servers1" scheduler="weightr" enable="true">
                  <host name="server1" ip="lorien:7001" weight="5" />
                  <host name="server3" ip="rivendel:7001" weight="20"/>
                  <host ip="10.0.0.9:7001"/>
                </group>
                <group name="servers2" scheduler="leastc">
                  <host name="server2" ip="moria:7001" />
                </group>
                <frobnicate level="3"/>
              </service>
              <admin>
                <web listen="localhost:7000" enable="true" secure="true" refresh="10" />
                <ssh listen="localhost:2222" enable="true" />
                <user name="admin" password="..xpoEyRReGzk" access="full"/>
                <user name="viewer" password="..1kBafUApE8U" access="readonly"/>
              </admin>
              <manager>
                <hostCheck interval="10" enable="true"/>
                <configCheck interval="30" enable="yes"/>
                <heartbeat interval="20" enable="false"/>
              </manager>
              <control socket="/var/run/txlb.socket" />
              <logging file="pydir.log"/>
            </config>
            """;

    private static final String PYDIR = """
            <pdconfig>
              <service name="web site">
                <listen ip="0.0.0.0:8000"/>
                <group name="main" scheduler="leastconnsrr">
                  <host name="a" ip="10.0.0.1:80"/>
                  <host name="b" ip="10.0.0.2:80"/>
                </group>
                <group name="spare" scheduler="random">
                  <host name="c" ip="10.0.1.1:80"/>
                </group>
                <enable group="spare"/>
              </service>
              <admin listen="127.0.0.1:8001" secure="no">
                <user name="root" password="xx" access="full"/>
              </admin>
              <logging file="/var/log/pydir.log"/>
            </pdconfig>
            """;

    private final ServerConfigReader reader = new ServerConfigReader(Main.builtinTypes());

    @Test
    void txLoadBalancerConfigBecomesAWorkingConfig() throws Exception {
        String yaml = new TxlbImporter("config.xml").convert(TXLB);
        ServerConfig c = reader.read(yaml, "converted.yaml");

        assertThat(c.admin().listen()).isEqualTo(new HostPort("localhost", 7000));
        assertThat(c.admin().autosave()).isEqualTo(Duration.ofSeconds(30));
        LbConfig lb = (LbConfig) c.services().get("twisted-lorien").config();
        assertThat(lb.listen()).containsExactly(new HostPort("0.0.0.0", 8080), new HostPort("127.0.0.1", 8081));
        assertThat(lb.activeGroup()).isEqualTo("servers1");
        assertThat(lb.scheduler()).isEqualTo("weighted-random");
        assertThat(lb.groups().get("servers1")).containsExactly(
                new LbConfig.BackendSpec(new HostPort("lorien", 7001), 5),
                new LbConfig.BackendSpec(new HostPort("rivendel", 7001), 20),
                new LbConfig.BackendSpec(new HostPort("10.0.0.9", 7001), 1));
        assertThat(lb.groups().get("servers2")).containsExactly(new LbConfig.BackendSpec(new HostPort("moria", 7001), 1));
        assertThat(lb.health().type()).isEqualTo(HealthCheckType.TCP);
        assertThat(lb.health().interval()).isEqualTo(Duration.ofSeconds(10));

        assertThat(yaml).contains(
                "# Converted from config.xml (txLoadBalancer) by portico import-txlb.",
                "- {address: lorien:7001, weight: 5}  # server1",
                "- 10.0.0.9:7001  # host.3",
                "# unknown element <frobnicate level=\"3\">: not imported",
                "# group servers2 used scheduler leastc",
                "# ssh manhole localhost:2222: not imported",
                "# user admin (full): crypt passwords are not carried over",
                "# user viewer (readonly): crypt passwords are not carried over; give a token instead: "
                        + "tokens: [{token_file: FILE, role: read}]",
                "# secure=\"true\": the admin endpoint speaks plain HTTP",
                "# heartbeat: not imported",
                "# control socket /var/run/txlb.socket: not imported",
                "# logging file pydir.log: not imported");
        assertThat(yaml).doesNotContain("ignored", "a comment");
    }

    @Test
    void pythonDirectorConfigBecomesAWorkingConfig() throws Exception {
        String yaml = new TxlbImporter("pd.xml").convert(PYDIR);
        ServerConfig c = reader.read(yaml, "converted.yaml");

        assertThat(c.admin().listen()).isEqualTo(new HostPort("127.0.0.1", 8001));
        assertThat(c.services()).containsOnlyKeys("web-site");
        LbConfig lb = (LbConfig) c.services().get("web-site").config();
        assertThat(lb.activeGroup()).isEqualTo("spare");
        assertThat(lb.scheduler()).isEqualTo("random");
        assertThat(lb.groups().get("main")).hasSize(2);
        assertThat(yaml).contains("(PythonDirector)", "# was <service name=\"web site\">",
                "# group main used scheduler leastconnsrr", "# user root (full)");
    }

    @Test
    void anAdminOnAllInterfacesStaysThereWithAWarningAndADisabledConfigCheckIsNoted() throws Exception {
        String yaml = new TxlbImporter("config.xml").convert("""
                <config>
                  <service name="front">
                    <listen ip="*:8080"/>
                    <group name="main" scheduler="roundrobin" enable="true"><host name="a" ip="10.0.0.1:80"/></group>
                  </service>
                  <admin><web listen="*:7000" enable="true"/></admin>
                  <manager><configCheck interval="30" enable="no"/></manager>
                </config>
                """);
        ServerConfig c = reader.read(yaml, "converted.yaml");

        assertThat(c.admin().listen()).isEqualTo(new HostPort("0.0.0.0", 7000));
        assertThat(c.admin().autosave()).isNull();
        assertThat(yaml).contains("  listen: 0.0.0.0:7000\n"
                        + "  # WARNING: *:7000 listens on all interfaces, so the admin API (which can change and stop "
                        + "services) would face the network; 127.0.0.1:7000 keeps it on this host",
                "  # configCheck was disabled: the running config is not saved on its own; "
                        + "autosave: 30s would save it as configCheck did");
    }

    @Test
    void theCommandWritesToStdoutAndRejectsOtherRoots(@TempDir Path dir) throws Exception {
        Path xml = Files.writeString(dir.resolve("config.xml"), TXLB);
        CliRun ok = CliRun.run(Main.builtinTypes(), "import-txlb", xml.toString());
        assertThat(ok.status).as(ok.toString()).isZero();
        assertThat(ok.out).startsWith("# Converted from " + xml);

        Path bad = Files.writeString(dir.resolve("bad.xml"), "<settings/>");
        CliRun r = CliRun.run(Main.builtinTypes(), "import-txlb", bad.toString());
        assertThat(r.status).isEqualTo(1);
        assertThat(r.err).contains("the root element is <settings>, not <config> (txLoadBalancer) or <pdconfig>");
        assertThatThrownBy(() -> new TxlbImporter("x").convert("<config>")).hasMessageContaining("not well-formed XML");
    }
}
