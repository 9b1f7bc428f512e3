package dev.portico.web.routes;

import dev.portico.web.http.Exchange;
import dev.portico.web.http.Status;

import java.nio.charset.StandardCharsets;

/** A static redirect, rendered once when the routes are built and sent as is. */
final class Redirect {

    private final int status;
    private final byte[] headerLines;
    private final byte[] body;

    Redirect(int status, String location) {
        checkStatus(status);
        if (location.indexOf('\r') >= 0 || location.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("redirect location has a line break");
        }
        this.status = status;
        String safe = location.replace("&", "&amp;").replace("<", "&lt;").replace("\"", "&quot;");
        this.body = ("<!DOCTYPE html>\n<html><body><a href=\"" + safe + "\">" + status + " " + Status.reason(status)
                + "</a></body></html>\n").getBytes(StandardCharsets.UTF_8);
        this.headerLines = ("Location: " + location + "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: "
                + body.length + "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    static void checkStatus(int status) {
        if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
            throw new IllegalArgumentException("not a redirect status: " + status);
        }
    }

    void send(Exchange ex) {
        ex.respondPrerendered(status, headerLines, null, body, 0, body.length);
    }
}
