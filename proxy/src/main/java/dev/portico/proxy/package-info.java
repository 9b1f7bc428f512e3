/**
 * The HTTP/1.1 reverse proxy ({@code type: proxy}): pools per Host with a {@code *} default,
 * 3zsd's round robin, client-/24 hash and URL hash plus every upstream scheduler, upstream
 * keep-alive per backend and per event loop, bodies streamed both ways with backpressure,
 * retries of idempotent requests, 502/503/504 mapping and WebSocket pass-through.
 */
package dev.portico.proxy;
