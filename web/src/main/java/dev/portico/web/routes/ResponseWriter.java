package dev.portico.web.routes;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.web.files.MimeTypes;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.ResponseHead;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultFileRegion;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.List;

/** Writes a {@link Response} to an exchange, on its event loop. */
final class ResponseWriter {

    private final ObjectMapper mapper;
    private final MimeTypes mime;

    ResponseWriter(ObjectMapper mapper, MimeTypes mime) {
        this.mapper = mapper;
        this.mime = mime;
    }

    /**
     * @throws HttpError  404 for a file response whose file is missing
     * @throws IOException when the JSON value cannot be written or the file not opened
     */
    void write(Exchange ex, Response r) throws IOException {
        ResponseHead h = ResponseHead.of(r.status());
        List<String> headers = r.headers();
        for (int i = 0; i < headers.size(); i += 2) {
            h.header(headers.get(i), headers.get(i + 1));
        }
        if (r.file() != null) {
            writeFile(ex, h, r);
            return;
        }
        if (r.contentType() != null) {
            h.set("Content-Type", r.contentType());
        }
        int s = r.status();
        if (s < 200 || s == 204 || s == 304) {
            ex.respondPrerendered(s, h.renderHeaders(), null);
            return;
        }
        byte[] body = r.isJson() ? mapper.writeValueAsBytes(r.jsonValue()) : r.body();
        ex.respond(h, Unpooled.wrappedBuffer(body));
    }

    private void writeFile(Exchange ex, ResponseHead h, Response r) throws IOException {
        if (!Files.isRegularFile(r.file())) {
            throw new HttpError(404);
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(r.file(), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new HttpError(404);
        }
        long size = ch.size();
        h.set("Content-Type", r.contentType() != null ? r.contentType() : mime.forName(r.file().getFileName().toString()));
        h.set("Content-Length", size);
        ex.respondFile(h, new DefaultFileRegion(ch, 0, size));
    }
}
