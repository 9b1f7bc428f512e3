package dev.portico.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small client of the admin API for tests: one call, its status and its JSON body. */
public final class Api {

    /** One answer. */
    public record Answer(int status, JsonNode json) {
    }

    private final String base;
    private final String token;
    private final ObjectMapper json = new ObjectMapper();

    public Api(String base, String token) {
        this.base = base;
        this.token = token;
    }

    public Answer call(String method, String path, String body) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpRequest r = HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(Duration.ofSeconds(10))
                    .header("Authorization", "Bearer " + token)
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body))
                    .build();
            HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString());
            return new Answer(res.statusCode(), json.readTree(res.body()));
        }
    }

    public Answer get(String path) throws IOException, InterruptedException {
        return call("GET", path, null);
    }

    public Answer post(String path, String body) throws IOException, InterruptedException {
        return call("POST", path, body);
    }

    /** A GET through a fresh connection (so an L4 balancer picks a backend again); the body. */
    public static String fetch(String url) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
    }
}
