package dev.portico.core.tls;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ClientHelloParser#parseBody}: the server name and ALPN offer read from the bodies of real
 * ClientHellos, as SslClientHelloHandler hands them over, and nothing thrown for cut or garbled ones.
 */
@Timeout(30)
class ClientHelloBodyTest {

    /** The hello read from a body, or null when the parser calls it malformed. */
    private static ClientHelloParser.Hello fields(ByteBuf body) {
        return ClientHelloParser.parseBody(body) instanceof ClientHelloParser.Hello h ? h : null;
    }


    /** The handshake body (from client_version on) of a JDK client's first flight. */
    static byte[] hello(String sni, String... alpn) throws Exception {
        SSLEngine engine = SSLContext.getDefault().createSSLEngine("ignored", 443);
        engine.setUseClientMode(true);
        SSLParameters p = engine.getSSLParameters();
        if (sni != null) {
            p.setServerNames(List.of(new SNIHostName(sni)));
        } else {
            p.setServerNames(List.of());
        }
        p.setApplicationProtocols(alpn);
        engine.setSSLParameters(p);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        assertThat(out.get(0)).isEqualTo((byte) 22);
        assertThat(out.get(5)).as("a ClientHello").isEqualTo((byte) 1);
        int length = ((out.get(6) & 0xff) << 16) | ((out.get(7) & 0xff) << 8) | (out.get(8) & 0xff);
        byte[] body = new byte[length];
        out.position(9);
        out.get(body);
        return body;
    }

    @Test
    void readsTheNameAndTheOfferedProtocols() throws Exception {
        ClientHelloParser.Hello f = fields(Unpooled.wrappedBuffer(hello("a.portico.test", "acme-tls/1")));
        assertThat(f.serverName()).isEqualTo("a.portico.test");
        assertThat(f.alpn()).containsExactly("acme-tls/1");

        f = fields(Unpooled.wrappedBuffer(hello("b.portico.test", "h2", "http/1.1")));
        assertThat(f.serverName()).isEqualTo("b.portico.test");
        assertThat(f.alpn()).containsExactly("h2", "http/1.1");

        f = fields(Unpooled.wrappedBuffer(hello(null)));
        assertThat(f.serverName()).isNull();
        assertThat(f.alpn()).isEmpty();
    }

    @Test
    void readsFromTheReaderIndexWithoutMovingIt() throws Exception {
        byte[] body = hello("a.portico.test", "acme-tls/1");
        ByteBuf buf = Unpooled.buffer().writeBytes(new byte[] {9, 9, 9}).writeBytes(body);
        buf.readerIndex(3);
        assertThat(fields(buf).serverName()).isEqualTo("a.portico.test");
        assertThat(buf.readerIndex()).isEqualTo(3);
    }

    @Test
    void aCutHelloIsMalformedOrReadUpToTheCutNeverAnException() throws Exception {
        byte[] body = hello("a.portico.test", "acme-tls/1", "h2");
        int parsed = 0;
        for (int len = 0; len < body.length; len++) {
            ClientHelloParser.Hello f = fields(Unpooled.wrappedBuffer(body, 0, len));
            if (f != null) {
                parsed++;
                assertThat(f.alpn()).isEmpty();
                assertThat(f.serverName()).isNull();
            }
        }
        assertThat(parsed).as("only a cut right after the compression methods reads as a hello without extensions")
                .isLessThanOrEqualTo(1);
    }

    @Test
    void garbledHellosNeverThrow() throws Exception {
        byte[] body = hello("a.portico.test", "acme-tls/1");
        Random random = new Random(42);
        int readable = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] b = body.clone();
            for (int j = 0; j < 1 + random.nextInt(4); j++) {
                b[random.nextInt(b.length)] = (byte) random.nextInt(256);
            }
            if (fields(Unpooled.wrappedBuffer(b)) != null) {
                readable++;
            }
        }
        assertThat(readable).as("a byte flipped inside a value leaves the structure readable").isPositive();
    }
}
