package dev.portico.admin.ssh;

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

    ConsoleExec(ConsoleCommands commands, String line) {
        this.commands = commands;
        this.line = line;
    }

    @Override
    public void start(ChannelSession channel, Environment env) {
        String user = env.getEnv().getOrDefault(Environment.ENV_USER, "?");
        Thread.ofVirtual().name("portico-ssh-exec").start(() -> {
            log.info("ssh console {} (exec): {}", user, line);
            ConsoleCommands.Result r = commands.run(line);
            int status = r.output().startsWith("error:") || r.output().startsWith("usage:")
                    || r.output().startsWith("unknown command") ? 1 : 0;
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
