package dev.portico.admin.ssh;

import dev.portico.admin.AdminRole;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ConsoleCommandsTest {

    final FakePlane plane = new FakePlane();
    final ConsoleCommands console = new ConsoleCommands(plane);

    @Test
    void readOnlyRoleRunsOnlyTheCommandsThatLook() {
        List<String> looking = List.of("help", "show", "quit", "exit");
        for (String name : console.names()) {
            String out = console.run(name + " shop main 127.0.0.1:9001 2", AdminRole.READ).output();
            if (looking.contains(name)) {
                assertThat(out).as(name).doesNotStartWith("permission denied");
            } else {
                assertThat(out).as(name).startsWith("permission denied: read-only key; " + name);
            }
        }
        assertThat(console.run("show services", AdminRole.READ).output()).contains("shop (lb)");
        assertThat(plane.groups.get("main").get(0)).isEqualTo(new FakePlane.H("127.0.0.1:9001", 1, "enabled"));
        assertThat(plane.saves).isZero();
        assertThat(console.run("drain 127.0.0.1:9001", AdminRole.WRITE).output()).contains("draining");
    }

    @Test
    void showsServicesGroupsAndHosts() {
        String out = console.run("show services").output();
        assertThat(out).contains("shop (lb) listening on 127.0.0.1:8000, scheduler roundrobin")
                .contains("group main (active)").contains("127.0.0.1:9001").contains("group spare");
        assertThat(console.run("show service nope").output()).startsWith("error: no service nope");
    }

    @Test
    void hostActionsByShortOrFullName() {
        assertThat(console.run("disable 127.0.0.1:9001").output()).contains("disabled");
        assertThat(plane.groups.get("main").get(0).admin()).isEqualTo("disabled");
        assertThat(console.run("drain shop main 127.0.0.1:9002").output()).contains("draining");
        assertThat(console.run("enable 127.0.0.1:9001").output()).contains("enabled");
        assertThat(console.run("weight 127.0.0.1:9001 5").output()).contains("weight 5");
        assertThat(console.run("weight 127.0.0.1:9001 five").output()).startsWith("error: 'five' is not a whole number");
        assertThat(console.run("disable 10.9.9.9:1").output()).startsWith("error: no host");
    }

    @Test
    void groupsSchedulersListenersAndSave() {
        assertThat(console.run("switch-group shop spare").output()).contains("now spare");
        assertThat(plane.active).isEqualTo("spare");
        assertThat(console.run("remove-host 127.0.0.1:9101").output()).startsWith("error: refusing to remove the last host");
        assertThat(console.run("add-host shop spare 127.0.0.1:9102 2").output()).contains("added 127.0.0.1:9102");
        assertThat(console.run("remove-host 127.0.0.1:9101").output()).contains("removed");
        assertThat(console.run("scheduler shop leastconns").output()).contains("now leastconns");
        assertThat(console.run("listen shop 127.0.0.1:8001").output()).contains("now listens on 127.0.0.1:8001");
        assertThat(console.run("unlisten shop 127.0.0.1:8001").output()).contains("closed");
        assertThat(console.run("save").output()).contains("saved /etc/portico.yaml");
        assertThat(plane.saves).isEqualTo(1);
    }

    @Test
    void dynamicRecordCommandsNeedADnsService() {
        assertThat(console.run("show records shop").output()).startsWith("error: service 'shop' has no dynamic DNS records");
        assertThat(console.run("force-down shop www.example.test 127.0.0.11").output())
                .startsWith("error: service 'shop' has no dynamic DNS records");
        assertThat(console.run("release nope www.example.test 127.0.0.11").output()).startsWith("error: no service nope");
        assertThat(console.run("help force-up").output()).contains("force-up SERVICE RECORD ADDRESS");
        assertThat(console.complete("force-")).containsExactly("force-down", "force-up");
    }

    @Test
    void usageHelpAndUnknownCommands() {
        assertThat(console.run("switch-group shop").output()).startsWith("usage: switch-group SERVICE GROUP");
        assertThat(console.run("frobnicate").output()).startsWith("unknown command 'frobnicate'");
        assertThat(console.run("help").output()).contains("switch-group SERVICE GROUP").contains("TAB completes");
        assertThat(console.run("help drain").output()).contains("open ones finish");
        assertThat(console.run("quit").exit()).isTrue();
        assertThat(console.run("").output()).isEmpty();
    }

    @Test
    void completesCommandsServicesGroupsAndHosts() {
        assertThat(console.complete("sw")).containsExactly("switch-group");
        assertThat(console.complete("s")).containsExactly("save", "scheduler", "show", "switch-group");
        assertThat(console.complete("switch-group ")).containsExactly("shop");
        assertThat(console.complete("switch-group shop sp")).containsExactly("spare");
        assertThat(console.complete("disable 127.0.0.1:900")).containsExactly("127.0.0.1:9001", "127.0.0.1:9002");
        assertThat(console.complete("show s")).containsExactly("service", "services");
    }

    @Test
    void cacheCommandsGoThroughTheControlPlane() {
        plane.withProxy = true;
        String shown = console.run("show cache edge").output();
        assertThat(shown).contains("edge cache", "memory  3 entries, 4.5 KiB of 64.0 MiB", "disk    none",
                "hits 6  misses 2  stale 1  revalidated 1  bypass 4", "hit ratio 80.0%", "no bans");
        assertThat(console.run("purge edge http://example.com/a?b=1").output())
                .isEqualTo("purged http://example.com/a?b=1 from edge\n");
        assertThat(console.run("purge edge http://example.com/gone").output())
                .isEqualTo("http://example.com/gone was not stored in edge\n");
        assertThat(console.run("purge-prefix edge http://example.com/img/").output())
                .isEqualTo("purged 2 URLs starting with http://example.com/img/ from edge\n");
        assertThat(plane.purged).containsExactly("key http://example.com/a?b=1", "key http://example.com/gone",
                "prefix http://example.com/img/");
        assertThat(console.run("ban edge http://example.com/css/").output())
                .isEqualTo("edge: banned prefix:http://example.com/css/ (stored before 2025-01-02T03:04:05Z)\n");
        assertThat(console.run("show cache edge").output()).contains("ban prefix:http://example.com/css/");
    }

    @Test
    void showTunnelListsSessionsAndReconnectDropsOne() {
        plane.withTunnel = true;
        String shown = console.run("show tunnel warp", AdminRole.READ).output();
        assertThat(shown).contains("warp (tunnel)",
                "    hub             up   client reliable 10.0.0.1:9000          51.5ms    cwnd=120.0 KiB lost=3 "
                        + "in=5.0 MiB (2.0 KiB/s) out=3.0 MiB (1.0 KiB/s) connects=2",
                "        device hub  10.77.0.0/16 metric 515 (best)",
                "        relayed to hub2",
                "    spare           down client datagram -                      -         cwnd=- lost=-");
        assertThat(console.run("show tunnel").output()).isEqualTo(shown);
        assertThat(console.complete("show t")).containsExactly("tunnel");
        assertThat(console.complete("show tunnel ")).containsExactly("warp");
        assertThat(console.complete("reconnect ")).containsExactly("warp");
        assertThat(console.complete("reconnect warp ")).containsExactly("far", "hub", "spare");
        assertThat(console.run("reconnect warp hub", AdminRole.READ).output()).startsWith(ConsoleCommands.DENIED);
        assertThat(plane.reconnected).isEmpty();
        assertThat(console.run("reconnect warp hub").output()).isEqualTo("warp: session hub reconnects\n");
        assertThat(plane.reconnected).containsExactly("hub");
        assertThat(console.run("reconnect warp spare").output())
                .isEqualTo("error: session 'spare' of tunnel 'warp' is not up\n");
        assertThat(console.run("show tunnel shop").output())
                .isEqualTo("error: service 'shop' is a lb service, not a tunnel\n");
        plane.withTunnel = false;
        assertThat(console.run("show tunnel").output()).isEqualTo("no tunnel services\n");
    }

    @Test
    void showFsListsEachFileStoreWithItsNodes() {
        plane.withStore = true;
        String shown = console.run("show fs files", AdminRole.READ).output();
        assertThat(shown).contains("files (filestore)",
                "reads 120 (12.5/s)  writes 30 (3.3/s)  degraded 2  failed 1  missing copies found 4",
                "127.0.0.1:9001         up      1.3ms     open=2 total=40 failed=0 in=5.0 MiB out=3.0 MiB",
                "127.0.0.1:9002         down    -         open=0 total=12 failed=3 in=0 B out=1.0 KiB"
                        + "  last failure: connect failed: refused");
        assertThat(console.run("show fs").output()).isEqualTo(shown);
        assertThat(console.run("show fs shop").output())
                .isEqualTo("error: service 'shop' is a lb service, not a file store\n");
        assertThat(console.complete("show f")).containsExactly("fs");
        assertThat(console.complete("show fs ")).containsExactly("files");
        plane.withStore = false;
        assertThat(console.run("show fs").output()).isEqualTo("no file store services\n");
    }

    @Test
    void showFsGivesTheHandoffTheLastCheckAndTheRepairThatRepairStarts() {
        plane.withStore = true;
        String shown = console.run("show fs files", AdminRole.READ).output();
        assertThat(shown).contains("  handoff journal 5 records, 2 replays pending\n",
                "  last check 2025-01-02T03:04:05Z: 2 nodes, 40 files, 78 copies, problems 1 differing, 2 missing\n",
                "  repair: none\n");
        assertThat(console.run("repair files", AdminRole.READ).output())
                .isEqualTo(ConsoleCommands.DENIED + "repair changes the running services\n");
        assertThat(plane.repairs).isZero();
        assertThat(console.run("repair files").output())
                .isEqualTo("repair of files started; show fs files reports its progress\n");
        assertThat(console.run("show fs files").output()).contains(
                "  repair running: 1/3 findings dealt with, 1 repaired, 0 skipped, 0 failed (started 2025-01-02T03:06:00Z)\n");
        assertThat(console.run("repair files").output()).isEqualTo("error: a repair of 'files' is running already\n");
        assertThat(console.run("repair shop").output())
                .isEqualTo("error: service 'shop' is a lb service, not a file store\n");
        assertThat(console.run("repair").output()).isEqualTo("usage: repair SERVICE\n");
        assertThat(console.complete("repair ")).containsExactly("files");
    }

    @Test
    void cacheCommandsCheckTheirWordsAndTheService() {
        plane.withProxy = true;
        assertThat(console.run("purge edge").output()).isEqualTo("usage: purge SERVICE URL\n");
        assertThat(console.run("purge-prefix edge a b").output()).isEqualTo("usage: purge-prefix SERVICE PREFIX\n");
        assertThat(console.run("ban").output()).isEqualTo("usage: ban SERVICE PREFIX\n");
        assertThat(console.run("show cache").output()).startsWith("usage: show services");
        assertThat(console.run("show cache shop").output()).isEqualTo("error: service shop has no cache\n");
        assertThat(console.run("purge nope http://x/").output()).isEqualTo("error: no service nope\n");
        assertThat(console.run("help purge-prefix").output()).contains("purge-prefix SERVICE PREFIX");
    }

    @Test
    void completesCacheCommandsWithProxies() {
        plane.withProxy = true;
        assertThat(console.complete("pu")).containsExactly("purge", "purge-prefix");
        assertThat(console.complete("b")).containsExactly("ban");
        assertThat(console.complete("show c")).containsExactly("cache");
        assertThat(console.complete("show cache ")).containsExactly("edge");
        assertThat(console.complete("purge ")).containsExactly("edge");
        assertThat(console.complete("ban e")).containsExactly("edge");
        assertThat(console.complete("purge-prefix edge ")).containsExactly("http://");
        assertThat(console.complete("show service ")).containsExactly("edge", "shop");
    }
}
