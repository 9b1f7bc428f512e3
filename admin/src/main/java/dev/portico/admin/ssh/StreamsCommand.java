package dev.portico.admin.ssh;

import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.command.Command;

import java.io.InputStream;
import java.io.OutputStream;

/** The streams and exit callback MINA hands every console command, kept in one place. */
abstract class StreamsCommand implements Command {

    protected InputStream in;
    protected OutputStream out;
    protected OutputStream err;
    protected ExitCallback exit;

    @Override
    public void setInputStream(InputStream in) {
        this.in = in;
    }

    @Override
    public void setOutputStream(OutputStream out) {
        this.out = out;
    }

    @Override
    public void setErrorStream(OutputStream err) {
        this.err = err;
    }

    @Override
    public void setExitCallback(ExitCallback callback) {
        this.exit = callback;
    }
}
