/**
 * The Herald server: {@link io.herald.server.HeraldServer} (start, address, graceful close), its
 * settings {@link io.herald.server.ServerConfig}, each declared once in {@link
 * io.herald.server.Settings} and bound from options, {@code HERALD_*} variables and a YAML file,
 * and the {@code herald} command line ({@link io.herald.server.Main}: {@code serve}, {@code
 * publish}, {@code subscribe}). The server speaks PROTOCOL.md version 1 over HTTP/1.1 and WebSocket
 * (RFC 6455): publish with {@code POST /channels/{channel}}, subscribe with {@code GET
 * /channels/{list}} over WebSocket, Server-Sent Events (WHATWG HTML), long polling ({@code wait} or
 * {@code Prefer: wait}, RFC 7240) or short polling. The pipeline lives in {@code
 * io.herald.server.internal}; the demo feeds in {@code io.herald.server.demo}.
 */
package io.herald.server;
