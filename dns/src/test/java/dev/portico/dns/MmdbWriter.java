package dev.portico.dns;

import dev.portico.core.net.Cidr;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny MaxMind DB writer for tests (format version 2.0): an IPv6 search tree with 32-bit
 * records in which IPv4 networks live under ::/96 (as in GeoLite2), a data section of maps,
 * strings and unsigned integers, and the metadata. Enough to give MaxMind's reader a country
 * database of a few networks.
 */
final class MmdbWriter {

    /** An unsigned 16-bit value. */
    record U16(int value) {
    }

    /** An unsigned 32-bit value. */
    record U32(long value) {
    }

    /** An unsigned 64-bit value. */
    record U64(long value) {
    }

    private static final class Node {
        Object zero;
        Object one;
    }

    /** A leaf: where its record sits in the data section. */
    private record Data(int offset) {
    }

    private static final int RECORD_BYTES = 4;
    private static final byte[] METADATA_MARKER = {(byte) 0xAB, (byte) 0xCD, (byte) 0xEF,
        'M', 'a', 'x', 'M', 'i', 'n', 'd', '.', 'c', 'o', 'm'};

    private final Node root = new Node();
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();

    /**
     * Maps a network to a record.
     *
     * @param cidr   an IPv4 or IPv6 range
     * @param record the record (maps, strings, {@link U16}/{@link U32}/{@link U64})
     * @return this writer
     */
    MmdbWriter insert(String cidr, Map<String, Object> record) {
        Cidr c = Cidr.parse(cidr);
        byte[] net = c.networkBytes();
        int offset = net.length == 4 ? 96 : 0;
        byte[] bits = new byte[16];
        System.arraycopy(net, 0, bits, 16 - net.length, net.length);
        int prefix = offset + c.prefixLength();
        Data leaf = new Data(data.size());
        encode(record, data);
        Node n = root;
        for (int i = 0; i < prefix; i++) {
            boolean one = (bits[i >> 3] & (0x80 >> (i & 7))) != 0;
            if (i == prefix - 1) {
                if (one) {
                    n.one = leaf;
                } else {
                    n.zero = leaf;
                }
                break;
            }
            Object next = one ? n.one : n.zero;
            if (!(next instanceof Node)) {
                next = new Node();
                if (one) {
                    n.one = next;
                } else {
                    n.zero = next;
                }
            }
            n = (Node) next;
        }
        return this;
    }

    /** A country database record: {country: {iso_code}, continent: {code}}. */
    static Map<String, Object> country(String iso, String continent) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("continent", Map.of("code", continent));
        m.put("country", Map.of("iso_code", iso));
        return m;
    }

    /** Writes the database file. */
    void write(Path file) throws Exception {
        List<Node> nodes = new ArrayList<>();
        Map<Node, Integer> numbers = new IdentityHashMap<>();
        List<Node> queue = new ArrayList<>(List.of(root));
        for (int i = 0; i < queue.size(); i++) {
            Node n = queue.get(i);
            numbers.put(n, nodes.size());
            nodes.add(n);
            for (Object child : new Object[] {n.zero, n.one}) {
                if (child instanceof Node c) {
                    queue.add(c);
                }
            }
        }
        long count = nodes.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Node n : nodes) {
            for (Object child : new Object[] {n.zero, n.one}) {
                long value = child instanceof Node c ? numbers.get(c)
                        : child instanceof Data d ? count + 16 + d.offset() : count;
                for (int b = RECORD_BYTES - 1; b >= 0; b--) {
                    out.write((int) (value >> (8 * b)) & 0xff);
                }
            }
        }
        out.write(new byte[16]);
        out.write(data.toByteArray());
        out.write(METADATA_MARKER);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("binary_format_major_version", new U16(2));
        meta.put("binary_format_minor_version", new U16(0));
        meta.put("build_epoch", new U64(1_700_000_000L));
        meta.put("database_type", "Portico-Test-Country");
        meta.put("description", Map.of("en", "test networks"));
        meta.put("ip_version", new U16(6));
        meta.put("languages", List.of("en"));
        meta.put("node_count", new U32(count));
        meta.put("record_size", new U16(RECORD_BYTES * 8));
        encode(meta, out);
        Files.write(file, out.toByteArray());
    }

    private static void encode(Object value, ByteArrayOutputStream out) {
        switch (value) {
            case String s -> {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                control(2, b.length, out);
                out.writeBytes(b);
            }
            case Map<?, ?> m -> {
                control(7, m.size(), out);
                m.forEach((k, v) -> {
                    encode((String) k, out);
                    encode(v, out);
                });
            }
            case List<?> l -> {
                control(11, l.size(), out);
                l.forEach(v -> encode(v, out));
            }
            case U16 u -> unsigned(5, u.value(), out);
            case U32 u -> unsigned(6, u.value(), out);
            case U64 u -> unsigned(9, u.value(), out);
            default -> throw new IllegalArgumentException("cannot encode " + value);
        }
    }

    /** An unsigned integer in as few big-endian bytes as it needs. */
    private static void unsigned(int type, long value, ByteArrayOutputStream out) {
        int bytes = 0;
        while (bytes < 8 && (value >>> (8 * bytes)) != 0) {
            bytes++;
        }
        control(type, bytes, out);
        for (int b = bytes - 1; b >= 0; b--) {
            out.write((int) (value >>> (8 * b)) & 0xff);
        }
    }

    /** The control byte(s): type in the top 3 bits (extended types after it), then the size. */
    private static void control(int type, int size, ByteArrayOutputStream out) {
        int first = (type <= 7 ? type : 0) << 5;
        byte[] extra;
        if (size < 29) {
            first |= size;
            extra = new byte[0];
        } else if (size < 285) {
            first |= 29;
            extra = new byte[] {(byte) (size - 29)};
        } else {
            int s = size - 285;
            first |= 30;
            extra = new byte[] {(byte) (s >> 8), (byte) s};
        }
        out.write(first);
        if (type > 7) {
            out.write(type - 7);
        }
        out.writeBytes(extra);
    }
}
