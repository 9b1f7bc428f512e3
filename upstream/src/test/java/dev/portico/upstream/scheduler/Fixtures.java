package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;
import dev.portico.upstream.HostPort;
import dev.portico.upstream.Pool;
import dev.portico.upstream.Ticker;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Shared helpers for scheduler tests. */
final class Fixtures {

    private Fixtures() {
    }

    static Backend backend(int i, int weight, Ticker ticker) {
        return Backend.builder(HostPort.parse("10.0.0." + i + ":80")).name("b" + i).weight(weight).ticker(ticker).build();
    }

    static Pool pool(int n) {
        Pool pool = Pool.create("test");
        for (int i = 0; i < n; i++) {
            pool.add(backend(i, 1, Ticker.system()));
        }
        return pool;
    }

    static Pool weightedPool(int... weights) {
        Pool pool = Pool.create("weighted");
        for (int i = 0; i < weights.length; i++) {
            pool.add(backend(i, weights[i], Ticker.system()));
        }
        return pool;
    }

    /** Counts picks per backend name over {@code n} picks with an empty context. */
    static Map<String, Integer> histogram(Scheduler s, List<Backend> eligible, int n) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Backend b : eligible) {
            counts.put(b.name(), 0);
        }
        for (int i = 0; i < n; i++) {
            counts.merge(s.pick(eligible, SelectionContext.empty()).name(), 1, Integer::sum);
        }
        return counts;
    }

    static List<String> names(Scheduler s, List<Backend> eligible, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(s.pick(eligible, SelectionContext.empty()).name());
        }
        return out;
    }

    static InetAddress ip(int i) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) 192, (byte) 168, (byte) (i >> 8), (byte) i});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
