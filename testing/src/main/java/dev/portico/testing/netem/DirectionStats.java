package dev.portico.testing.netem;

import java.util.HashMap;
import java.util.Map;

/**
 * The counters of one direction of an emulated link, as the emulator printed them: frames and
 * bytes received from the ingress device ({@code in}), sent out of the egress device
 * ({@code out}), lost by random or bursty loss ({@code loss}, with the number of bursts of
 * consecutive lost frames), dropped by the full queue ({@code queue}), dropped because every
 * buffer was taken ({@code noBuffer}), held back for reordering, and failed sends.
 */
public record DirectionStats(String name, long inFrames, long inBytes, long outFrames, long outBytes,
                             long lossFrames, long lossBytes, long lossBursts, long queueFrames, long queueBytes,
                             long noBufferFrames, long reordered, long sendErrors) {

    /** Reads one line of the emulator's {@code stats} answer: {@code NAME key=value ...}. */
    public static DirectionStats parse(String line) {
        String[] w = line.strip().split("\\s+");
        Map<String, Long> v = new HashMap<>();
        for (int i = 1; i < w.length; i++) {
            int eq = w[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("bad counter '" + w[i] + "' in: " + line);
            }
            v.put(w[i].substring(0, eq), Long.parseLong(w[i].substring(eq + 1)));
        }
        return new DirectionStats(w[0], get(v, "in_frames", line), get(v, "in_bytes", line),
                get(v, "out_frames", line), get(v, "out_bytes", line),
                get(v, "loss_frames", line), get(v, "loss_bytes", line), get(v, "loss_bursts", line),
                get(v, "queue_frames", line), get(v, "queue_bytes", line),
                get(v, "nobuf_frames", line), get(v, "reordered", line), get(v, "send_errors", line));
    }

    private static long get(Map<String, Long> v, String key, String line) {
        Long n = v.get(key);
        if (n == null) {
            throw new IllegalArgumentException("no " + key + " in: " + line);
        }
        return n;
    }

    /** The counters' growth from {@code earlier} to this snapshot. */
    public DirectionStats minus(DirectionStats earlier) {
        return new DirectionStats(name, inFrames - earlier.inFrames, inBytes - earlier.inBytes,
                outFrames - earlier.outFrames, outBytes - earlier.outBytes,
                lossFrames - earlier.lossFrames, lossBytes - earlier.lossBytes, lossBursts - earlier.lossBursts,
                queueFrames - earlier.queueFrames, queueBytes - earlier.queueBytes,
                noBufferFrames - earlier.noBufferFrames, reordered - earlier.reordered, sendErrors - earlier.sendErrors);
    }

    /** The share of received frames lost to random or bursty loss. */
    public double lossFraction() {
        return inFrames == 0 ? 0 : (double) lossFrames / inFrames;
    }

    /** The mean number of consecutive frames lost together. */
    public double meanLossBurst() {
        return lossBursts == 0 ? 0 : (double) lossFrames / lossBursts;
    }
}
