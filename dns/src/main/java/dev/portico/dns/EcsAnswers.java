package dev.portico.dns;

import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Section;

import java.util.List;

/**
 * Puts the Client Subnet option into rendered answers. dnsjava writes the OPT record last, so the
 * option is appended to the wire form and the OPT record's data length patched, which lets cached
 * answers (rendered without it) be reused for ECS queries. When the longer answer would not fit
 * the size limit, the message is rendered again with the option, and dnsjava truncates it.
 */
final class EcsAnswers {

    /** An OPT record without options: root name, type, class, TTL, data length. */
    private static final int EMPTY_OPT = 11;
    private static final int TYPE_OPT = 41;

    private EcsAnswers() {
    }

    /**
     * Appends the option to an answer whose last record is an OPT record without options.
     *
     * @param wire  the answer
     * @param ecs   the query's option
     * @param scope the scope prefix length to report
     * @param limit the largest answer allowed
     * @return the longer answer, or null when it would not fit or the answer does not end in an empty OPT
     */
    static byte[] append(byte[] wire, EcsOption ecs, int scope, int limit) {
        int opt = wire.length - EMPTY_OPT;
        int extra = ecs.wireLength();
        if (opt < QueryParser.HEADER || wire.length + extra > limit || wire[opt] != 0
                || u16(wire, opt + 1) != TYPE_OPT || u16(wire, wire.length - 2) != 0 || u16(wire, 10) == 0) {
            return null;
        }
        byte[] out = java.util.Arrays.copyOf(wire, wire.length + extra);
        out[wire.length - 2] = (byte) (extra >> 8);
        out[wire.length - 1] = (byte) extra;
        ecs.write(out, wire.length, scope);
        return out;
    }

    /**
     * The answer with the option: appended to {@code wire} when it fits, else the message rendered
     * again with the option in its OPT record.
     *
     * @param message the answer as built
     * @param wire    its rendering without the option
     * @param ecs     the query's option
     * @param scope   the scope prefix length to report
     * @param limit   the largest answer allowed
     * @return the answer to send
     */
    static byte[] withOption(Message message, byte[] wire, EcsOption ecs, int scope, int limit) {
        byte[] out = append(wire, ecs, scope, limit);
        if (out != null) {
            return out;
        }
        OPTRecord opt = message.getOPT();
        if (opt == null) {
            return wire;
        }
        message.removeRecord(opt, Section.ADDITIONAL);
        int maxScope = ecs.family() == EcsOption.IPV4 ? 32 : 128;
        message.addRecord(new OPTRecord(opt.getPayloadSize(), opt.getExtendedRcode(), opt.getVersion(), opt.getFlags(),
                List.of(new ClientSubnetOption(ecs.sourcePrefix(), Math.min(scope, maxScope), ecs.address()))),
                Section.ADDITIONAL);
        return message.toWire(limit);
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
    }
}
