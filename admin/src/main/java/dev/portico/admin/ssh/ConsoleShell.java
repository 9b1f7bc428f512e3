package dev.portico.admin.ssh;

import dev.portico.admin.AdminRole;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.channel.ChannelSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * An interactive console session: a prompt, line editing with TAB completion, and the console
 * commands. Runs on its own virtual thread, never on an event loop.
 */
final class ConsoleShell extends StreamsCommand {

    private static final Logger log = LoggerFactory.getLogger(ConsoleShell.class);

    private final ConsoleCommands commands;
    private final String banner;
    private final AdminRole role;
    private Thread thread;

    ConsoleShell(ConsoleCommands commands, String banner, AdminRole role) {
        this.commands = commands;
        this.banner = banner;
        this.role = role;
    }

    @Override
    public void start(ChannelSession channel, Environment env) {
        String user = AuthorizedKeys.printable(env.getEnv().getOrDefault(Environment.ENV_USER, "?"), 64);
        thread = Thread.ofVirtual().name("portico-ssh-" + user).start(() -> run(user));
    }

    private void run(String user) {
        int status = 0;
        try {
            out.write((banner + (role == AdminRole.READ ? " (read-only key: show and help only)" : "")
                    + "\r\nType help for the commands; TAB completes.\r\n").getBytes(StandardCharsets.UTF_8));
            LineEditor editor = new LineEditor(out, "portico> ", commands::complete);
            editor.prompt();
            int b;
            while ((b = in.read()) >= 0) {
                LineEditor.Event e = editor.feed(b);
                if (e == LineEditor.Event.EOF) {
                    break;
                }
                if (e == LineEditor.Event.LINE) {
                    String line = editor.take();
                    log.info("ssh console {} ({}): {}", user, role, AuthorizedKeys.printable(line, 1000));
                    ConsoleCommands.Result r = commands.run(line, role);
                    out.write(r.output().replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8));
                    if (r.exit()) {
                        break;
                    }
                    editor.prompt();
                }
            }
        } catch (IOException e) {
            log.debug("ssh console session ended: {}", e.toString());
            status = 1;
        } finally {
            try {
                out.flush();
            } catch (IOException ignored) {
                // the channel is gone
            }
            exit.onExit(status);
        }
    }

    @Override
    public void destroy(ChannelSession channel) {
        if (thread != null) {
            thread.interrupt();
        }
    }
}
