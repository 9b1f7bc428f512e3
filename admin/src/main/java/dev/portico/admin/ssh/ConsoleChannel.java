package dev.portico.admin.ssh;

import org.apache.sshd.common.channel.RequestHandler;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.channel.ChannelSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * A console session channel that holds to the options of the key it logged in with: a terminal
 * request is refused when the key says {@code no-pty} or {@code restrict}. (Agent and X11 forwarding
 * are refused for every key by the server's forwarding filter.)
 */
final class ConsoleChannel extends ChannelSession {

    private static final Logger log = LoggerFactory.getLogger(ConsoleChannel.class);

    /** The options of the key the session logged in with; never null once authenticated. */
    KeyOptions options() throws IOException {
        KeyOptions o = getSession().getAttribute(AuthorizedKeys.OPTIONS);
        if (o == null) {
            throw new IOException("ssh console: the session has no authorized key");
        }
        return o;
    }

    @Override
    protected RequestHandler.Result handlePtyReq(Buffer buffer, boolean wantReply) throws IOException {
        if (!options().pty()) {
            log.debug("ssh console: terminal refused, the key does not allow one");
            return RequestHandler.Result.ReplyFailure;
        }
        return super.handlePtyReq(buffer, wantReply);
    }
}
