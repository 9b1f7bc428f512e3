package dev.portico.web.http;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Bodies for error responses: a configured page per status where one is set, else a short HTML
 * page naming the status.
 */
public final class ErrorPages {

    private final Map<Integer, byte[]> pages;

    /** @param pages status → page body, read when the config was loaded */
    public ErrorPages(Map<Integer, byte[]> pages) {
        this.pages = Map.copyOf(pages);
    }

    public static ErrorPages defaults() {
        return new ErrorPages(Map.of());
    }

    /** The body for a status. */
    public byte[] body(int status) {
        byte[] page = pages.get(status);
        if (page != null) {
            return page;
        }
        String title = status + " " + Status.reason(status);
        return ("<!DOCTYPE html>\n<html><head><title>" + title + "</title></head>\n<body><h1>" + title
                + "</h1></body></html>\n").getBytes(StandardCharsets.UTF_8);
    }
}
