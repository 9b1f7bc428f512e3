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
 * {@code ssh portico 'show services'}: one command line; its output on stdout and exit status 0, or
 * the error on stderr and exit status 1.
 */
final class ConsoleExec extends StreamsCommand {

    private static final Logger log = LoggerFactory.getLogger(ConsoleExec.class);

    private final ConsoleCommands commands;
    private final String line;
    private final AdminRole role;
    private final String asked;

    /**
     * @param line  the command line to run
     * @param role  what the key may do
     * @param asked what the client asked for when {@code line} is forced by the key's
     *              {@code command=} option ({@code "a shell"} or its command line), else null
     */
    ConsoleExec(ConsoleCommands commands, String line, AdminRole role, String asked) {
        this.commands = commands;
        this.line = line;
        this.role = role;
        this.asked = asked;
    }

    @Override
    public void start(ChannelSession channel, Environment env) {
        String user = AuthorizedKeys.printable(env.getEnv().getOrDefault(Environment.ENV_USER, "?"), 64);
        Thread.ofVirtual().name("portico-ssh-exec").start(() -> {
            if (asked == null) {
                log.info("ssh console {} (exec, {}): {}", user, role, AuthorizedKeys.printable(line, 1000));
            } else {
                log.info("ssh console {} (command forced by the key, {}): {} (asked for {})", user, role, line,
                        AuthorizedKeys.printable(asked, 1000));
            }
            ConsoleCommands.Result r = commands.run(line, role);
            int status = r.output().startsWith("error:") || r.output().startsWith("usage:")
                    || r.output().startsWith("unknown command") || r.output().startsWith("permission denied") ? 1 : 0;
            try {
                OutputStream to = status == 0 ? out : err;
                to.write(r.output().getBytes(StandardCharsets.UTF_8));
                to.flush();
            } catch (IOException e) {
                status = 1;
            }
            exit.onExit(status);
        });
    }

    @Override
    public void destroy(ChannelSession channel) {
        // Nothing runs past start's thread.
    }
}
