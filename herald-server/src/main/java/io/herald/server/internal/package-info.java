/**
 * The server's Netty pipeline, not a public API: {@link io.herald.server.internal.HttpRouter}
 * routes each HTTP/1.1 request (RFC 9112) to the publish handler, the polls ({@code PollHandler}:
 * short polls, and long polls parked with {@code wait} or {@code Prefer: wait}, RFC 7240),
 * Server-Sent Events ({@code SseTransport}, WHATWG HTML "Server-sent events") or WebSocket ({@code
 * WebSocketTransport}, RFC 6455). Each transport is a thin adapter between one Netty channel and
 * cursors ({@link io.herald.core.Subscription}) over the hub's channel logs; the wire forms that
 * are the same for every subscriber are encoded once per message ({@code WireEncodings}).
 *
 * <p>The port speaks HTTP/1.1 and HTTP/2 (RFC 9113): over TLS ({@code TlsCertificates}, the
 * protocol chosen by ALPN, RFC 7301, in {@code AlpnHandler}) or in the clear ({@code
 * PrefaceDetector}: h2c with prior knowledge). Each HTTP/2 stream runs the same handlers as an
 * HTTP/1.1 connection ({@code MultiplexedConnection}, {@code StreamGuard}).
 *
 * <p>Every handler here is confined to its channel's event loop unless it says otherwise; none
 * blocks. See PROTOCOL.md for the contract and docs/PROTOCOL-NOTES.md for what Herald chose where
 * the contract is silent.
 */
package io.herald.server.internal;
