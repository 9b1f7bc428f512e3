package dev.portico.tunnel;

import dev.portico.core.transport.LinuxNet;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;

import java.lang.foreign.Arena;
import java.util.function.IntConsumer;

/**
 * Reads a device on the connection's own epoll event loop: the loop polls the device's
 * descriptor beside the connection's UDP socket (level-triggered), and when a packet is waiting
 * it reads and frames up to {@link DeviceReader#BATCH} packets, writes them to the connection and
 * flushes, all in that one wake-up. No thread hands packets to another, so a lone packet (a ping)
 * leaves in the same loop iteration that saw it arrive. While a reliable stream is not writable
 * the device is not polled, so the device's own queue takes the backlog; {@link #resume} polls it
 * again.
 *
 * <p>Only for loops whose transport is epoll ({@link #supports}); elsewhere the tunnel reads the
 * device on a thread of its own.
 */
final class LoopDeviceReader implements EpollIoHandle {

    private final DeviceReader reader;
    private final FileDescriptor fd;
    private final IoEventLoop loop;
    private final IntConsumer onFailure;
    private final LinuxNet.Errno errno;
    private IoRegistration registration;
    private boolean paused;
    private boolean closed;

    /**
     * @param onFailure called on the loop with the errno when reading the device fails; the
     *                  reader has stopped polling by then
     */
    LoopDeviceReader(DeviceReader reader, TunDevice device, EventLoop loop, Arena arena, IntConsumer onFailure) {
        this.reader = reader;
        this.fd = new FileDescriptor(device.fd());
        this.loop = (IoEventLoop) loop;
        this.onFailure = onFailure;
        this.errno = new LinuxNet.Errno(arena);
    }

    /** Whether {@code loop} can poll a device: an epoll event loop. */
    static boolean supports(EventLoop loop) {
        return loop instanceof IoEventLoop io && io.isCompatible(EpollIoHandle.class);
    }

    /** Registers with the loop and starts polling; the future fails when the loop refuses. */
    Future<IoRegistration> start() {
        return loop.register(this).addListener(f -> {
            if (f.isSuccess()) {
                IoRegistration r = (IoRegistration) f.getNow();
                if (closed) {
                    r.cancel();
                    return;
                }
                registration = r;
                r.submit(EpollIoOps.EPOLLIN);
            }
        });
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration r, IoEvent event) {
        drain();
    }

    /**
     * Reads what the device has ready now, without waiting for the loop's next poll; on the loop.
     * Called when the connection finished reading a batch: the device's replies to the packets
     * just written to it (an echo reply, a TCP acknowledgement) are often already there, and so
     * leave in the same QUIC packet as the acknowledgement of what brought them, instead of
     * after it in a packet of their own.
     */
    void poll() {
        drain();
    }

    private void drain() {
        if (closed || paused || registration == null) {
            return;
        }
        int result = reader.drain(errno);
        if (result == DeviceReader.BLOCKED) {
            paused = true;
            // not NONE, which takes the descriptor out of the epoll set for good: no event asked
            // for, and edge-triggered so that an error the kernel always reports comes once
            registration.submit(EpollIoOps.EPOLLET);
        } else if (result < 0) {
            close();
            onFailure.accept(-result);
        }
        // MORE: level-triggered, the loop comes back after its other channels had their turn
    }

    /** Polls the device again after {@link DeviceReader#BLOCKED}; on the loop. */
    void resume() {
        if (paused && !closed && registration != null) {
            paused = false;
            registration.submit(EpollIoOps.EPOLLIN);
        }
    }

    /** Stops polling; on the loop, before the device closes. Leaves the descriptor open. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (registration != null) {
                registration.cancel();
            }
            reader.close();
        }
    }
}
