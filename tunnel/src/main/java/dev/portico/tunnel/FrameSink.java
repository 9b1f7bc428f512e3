package dev.portico.tunnel;

import io.netty.buffer.ByteBuf;

/** Where a connection's frames go: a device ({@link Inbound}) or the other end of a relay ({@link RelayEnd}). */
interface FrameSink {

    /** One frame's payload in {@code buf} at {@code index}, {@code length} bytes, with its flags; on the connection's loop. */
    void deliver(int flags, ByteBuf buf, int index, int length);
}
