package dev.portico.web.routes;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a route answers: a status, headers, and a body that is text, bytes, a value written as
 * JSON (with the routes' ObjectMapper, when the response is sent), a file, or nothing. Made by
 * the static factories and adjusted with the chained setters.
 */
public final class Response {

    private int status;
    private final List<String> headers = new ArrayList<>(4);
    private String contentType;
    private byte[] body;
    private Object json;
    private boolean isJson;
    private Path file;

    private Response(int status) {
        this.status = status;
    }

    /** 200 with a UTF-8 plain-text body. */
    public static Response text(String text) {
        return text(200, text);
    }

    public static Response text(int status, String text) {
        return bytes(status, text.getBytes(StandardCharsets.UTF_8), "text/plain; charset=utf-8");
    }

    /** 200 with a UTF-8 HTML body. */
    public static Response html(String html) {
        return bytes(200, html.getBytes(StandardCharsets.UTF_8), "text/html; charset=utf-8");
    }

    public static Response bytes(byte[] body, String contentType) {
        return bytes(200, body, contentType);
    }

    public static Response bytes(int status, byte[] body, String contentType) {
        Response r = new Response(status);
        r.body = Objects.requireNonNull(body, "body");
        r.contentType = contentType;
        return r;
    }

    /** 200 with {@code value} written as JSON ({@code application/json}). */
    public static Response json(Object value) {
        Response r = new Response(200);
        r.json = value;
        r.isJson = true;
        r.contentType = "application/json";
        return r;
    }

    /** 200 with a file's content; the type comes from its name unless set. Missing files are 404. */
    public static Response file(Path file) {
        Response r = new Response(200);
        r.file = Objects.requireNonNull(file, "file");
        return r;
    }

    /** A status with no body. */
    public static Response status(int status) {
        Response r = new Response(status);
        r.body = new byte[0];
        return r;
    }

    /** A redirect (301, 302, 303, 307 or 308) to {@code location}. */
    public static Response redirect(int status, String location) {
        Redirect.checkStatus(status);
        return text(status, status + " -> " + location + "\n").header("Location", location);
    }

    /** Changes the status. */
    public Response withStatus(int status) {
        this.status = status;
        return this;
    }

    /** Adds a header. */
    public Response header(String name, String value) {
        headers.add(Objects.requireNonNull(name, "name"));
        headers.add(Objects.requireNonNull(value, "value"));
        return this;
    }

    public Response contentType(String type) {
        this.contentType = type;
        return this;
    }

    public int status() {
        return status;
    }

    /** Header names and values, alternating. */
    public List<String> headers() {
        return List.copyOf(headers);
    }

    public String contentType() {
        return contentType;
    }

    /** The body bytes, or null for a JSON or file body. */
    public byte[] body() {
        return body;
    }

    public boolean isJson() {
        return isJson;
    }

    public Object jsonValue() {
        return json;
    }

    public Path file() {
        return file;
    }
}
