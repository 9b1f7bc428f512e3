package dev.portico.admin;

import io.netty.handler.codec.http.HttpResponseStatus;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What an admin handler answers.
 *
 * @param status      the HTTP status
 * @param contentType the Content-Type header
 * @param body        the body bytes
 * @param headers     extra headers
 */
public record AdminResponse(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers) {

    public AdminResponse {
        headers = Map.copyOf(headers);
    }

    /** A 200 with a text body of the given type. */
    public static AdminResponse text(String contentType, String body) {
        return new AdminResponse(HttpResponseStatus.OK, contentType, body.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** A JSON body, already rendered. */
    public static AdminResponse json(HttpResponseStatus status, String json) {
        return new AdminResponse(status, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** {@code {"error": message, "status": code}} with the given status. */
    public static AdminResponse error(HttpResponseStatus status, String message) {
        return json(status, "{\"error\":" + Json.quote(message) + ",\"status\":" + status.code() + "}");
    }

    /** The same response with one more header. */
    public AdminResponse withHeader(String name, String value) {
        var h = new java.util.LinkedHashMap<>(headers);
        h.put(name, value);
        return new AdminResponse(status, contentType, body, h);
    }
}
