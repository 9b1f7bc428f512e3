package dev.portico.lb;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class ProxyHeaderParserTest {

    /** Feeds the bytes one at a time: null until the last one, then the result. */
    private static ProxyHeaderParser.Result byteByByte(byte[] header, String trailer) throws Exception {
        ByteBuf in = Unpooled.buffer();
        try {
            for (int i = 0; i < header.length; i++) {
                in.writeByte(header[i]);
                ProxyHeaderParser.Result r = ProxyHeaderParser.parse(in);
                if (i < header.length - 1) {
                    assertThat(r).as("after %d bytes", i + 1).isNull();
                    assertThat(in.readerIndex()).isZero();
                } else {
                    in.writeCharSequence(trailer, StandardCharsets.US_ASCII);
                    assertThat(in.toString(in.readerIndex(), in.readableBytes(), StandardCharsets.US_ASCII))
                            .endsWith(trailer);
                    return r;
                }
            }
            throw new AssertionError("empty header");
        } finally {
            in.release();
        }
    }

    private static ProxyHeaderParser.Result parse(byte[] bytes) throws Exception {
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        try {
            return ProxyHeaderParser.parse(in);
        } finally {
            in.release();
        }
    }

    @Test
    void v1Tcp4IsReadIncrementallyAndLeavesTheRest() throws Exception {
        ByteBuf in = Unpooled.copiedBuffer("PROXY TCP4 192.0.2.1 192.0.2.2 1234 80\r\nGET /", StandardCharsets.US_ASCII);
        try {
            ProxyHeaderParser.Result r = ProxyHeaderParser.parse(in);
            assertThat(r.source()).isEqualTo(new InetSocketAddress("192.0.2.1", 1234));
            assertThat(r.destination()).isEqualTo(new InetSocketAddress("192.0.2.2", 80));
            assertThat(r.version()).isEqualTo(1);
            assertThat(in.toString(StandardCharsets.US_ASCII)).isEqualTo("GET /");
        } finally {
            in.release();
        }
        ProxyHeaderParser.Result r = byteByByte("PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n".getBytes(StandardCharsets.US_ASCII), "x");
        assertThat(r.source()).isEqualTo(new InetSocketAddress("10.0.0.1", 1));
    }

    @Test
    void v1Tcp6AndUnknown() throws Exception {
        ProxyHeaderParser.Result r = parse("PROXY TCP6 2001:db8::1 ::1 65535 443\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(r.source()).isEqualTo(new InetSocketAddress("2001:db8::1", 65535));
        assertThat(r.destination().getPort()).isEqualTo(443);
        ProxyHeaderParser.Result unknown = parse("PROXY UNKNOWN ffff::1 ::2 1 2\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(unknown.source()).isNull();
        assertThat(unknown.destination()).isNull();
    }

    @Test
    void v2ProxyAndLocalAreReadIncrementallyAndTlvsSkipped() throws Exception {
        ProxyHeaderParser.Result r = byteByByte(ProxyAcceptTest.v2(0x0A000001, 0x0A000002, 5000, 443), "rest");
        assertThat(r.source()).isEqualTo(new InetSocketAddress("10.0.0.1", 5000));
        assertThat(r.destination()).isEqualTo(new InetSocketAddress("10.0.0.2", 443));
        assertThat(r.version()).isEqualTo(2);

        byte[] local = ProxyAcceptTest.v2(1, 2, 3, 4);
        local[12] = 0x20;
        ProxyHeaderParser.Result l = parse(local);
        assertThat(l.source()).isNull();
        assertThat(l.version()).isEqualTo(2);
    }

    @Test
    void malformedHeadersAreRefusedAsSoonAsTheyCannotBeValid() {
        String[] bad = {
            "GET / HTTP/1.1\r\n",
            "PRAXY",
            "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
            "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
            "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
            "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
            "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
            "PROXY " + "1".repeat(110),
        };
        for (String b : bad) {
            assertThatThrownBy(() -> parse(b.getBytes(StandardCharsets.US_ASCII))).as(b)
                    .isInstanceOf(ProxyHeaderParser.MalformedException.class);
        }
        byte[] wrongSignature = ProxyAcceptTest.v2(1, 2, 3, 4);
        wrongSignature[5] = 0x0E;
        assertThatThrownBy(() -> parse(java.util.Arrays.copyOf(wrongSignature, 8)))
                .isInstanceOf(ProxyHeaderParser.MalformedException.class);
        byte[] tooShort = ProxyAcceptTest.v2(1, 2, 3, 4);
        tooShort[15] = 4;
        assertThatThrownBy(() -> parse(tooShort)).isInstanceOf(ProxyHeaderParser.MalformedException.class);
        byte[] huge = ProxyAcceptTest.v2(1, 2, 3, 4);
        huge[14] = (byte) 0xFF;
        assertThatThrownBy(() -> parse(huge)).isInstanceOf(ProxyHeaderParser.MalformedException.class);
    }
}
