package dev.portico.admin.ssh;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ConsoleCommandsTest {

    final FakePlane plane = new FakePlane();
    final ConsoleCommands console = new ConsoleCommands(plane);

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
}
