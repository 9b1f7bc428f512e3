package dev.portico.acme;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The server name and the ALPN protocols of a TLS ClientHello, read from the handshake body
 * (from {@code client_version} on, as {@link io.netty.handler.ssl.SslClientHelloHandler} hands it
 * over) without consuming it.
 *
 * @param serverName the host_name of the server_name extension, or null when there is none
 * @param alpn       the offered application protocols in the client's order, empty when none
 */
record ClientHelloFields(String serverName, List<String> alpn) {

    private static final int EXT_SERVER_NAME = 0;
    private static final int EXT_ALPN = 16;
    private static final int MAX_PROTOCOLS = 32;

    ClientHelloFields {
        alpn = List.copyOf(alpn);
    }

    /**
     * Reads the fields.
     *
     * @return the fields, or null when the hello is malformed (a length runs past its end)
     */
    static ClientHelloFields parse(ByteBuf hello) {
        if (hello == null) {
            return null;
        }
        int end = hello.writerIndex();
        int i = hello.readerIndex() + 2 + 32;
        if (i + 1 > end) {
            return null;
        }
        i += 1 + hello.getUnsignedByte(i);
        if (i + 2 > end) {
            return null;
        }
        i += 2 + hello.getUnsignedShort(i);
        if (i + 1 > end) {
            return null;
        }
        i += 1 + hello.getUnsignedByte(i);
        if (i > end) {
            return null;
        }
        if (i == end) {
            return new ClientHelloFields(null, List.of());
        }
        if (i + 2 > end) {
            return null;
        }
        int extEnd = i + 2 + hello.getUnsignedShort(i);
        if (extEnd > end) {
            return null;
        }
        i += 2;
        String serverName = null;
        List<String> alpn = new ArrayList<>(2);
        while (i < extEnd) {
            if (i + 4 > extEnd) {
                return null;
            }
            int type = hello.getUnsignedShort(i);
            int len = hello.getUnsignedShort(i + 2);
            int dataStart = i + 4;
            int dataEnd = dataStart + len;
            if (dataEnd > extEnd) {
                return null;
            }
            if (type == EXT_SERVER_NAME) {
                serverName = serverName(hello, dataStart, dataEnd);
                if (serverName == null) {
                    return null;
                }
            } else if (type == EXT_ALPN && !protocols(hello, dataStart, dataEnd, alpn)) {
                return null;
            }
            i = dataEnd;
        }
        return new ClientHelloFields(serverName, alpn);
    }

    private static String serverName(ByteBuf b, int start, int end) {
        if (start + 2 > end) {
            return null;
        }
        int listEnd = start + 2 + b.getUnsignedShort(start);
        if (listEnd > end) {
            return null;
        }
        int i = start + 2;
        while (i + 3 <= listEnd) {
            int nameType = b.getUnsignedByte(i);
            int len = b.getUnsignedShort(i + 1);
            if (i + 3 + len > listEnd) {
                return null;
            }
            if (nameType == 0) {
                return b.toString(i + 3, len, StandardCharsets.US_ASCII);
            }
            i += 3 + len;
        }
        return null;
    }

    private static boolean protocols(ByteBuf b, int start, int end, List<String> out) {
        if (start + 2 > end) {
            return false;
        }
        int listEnd = start + 2 + b.getUnsignedShort(start);
        if (listEnd > end) {
            return false;
        }
        int i = start + 2;
        while (i < listEnd) {
            int len = b.getUnsignedByte(i);
            if (len == 0 || i + 1 + len > listEnd || out.size() == MAX_PROTOCOLS) {
                return false;
            }
            out.add(b.toString(i + 1, len, StandardCharsets.US_ASCII));
            i += 1 + len;
        }
        return true;
    }
}
