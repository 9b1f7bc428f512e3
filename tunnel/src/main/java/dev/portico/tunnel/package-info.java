/**
 * The WAN tunnel ({@code type: tunnel}), 3wdd's IP tunnels between sites: each session is a TUN
 * device whose IP packets travel over one QUIC connection, either as length-prefixed frames on a
 * stream ({@code reliable}) or one per QUIC DATAGRAM frame ({@code datagram}). The server proves
 * itself with its certificate (pinned by fingerprint), the client with an HMAC of the session's
 * token over a server nonce.
 */
package dev.portico.tunnel;
