/**
 * The transport lab: a non-blocking load generator (Netty clients for WebSocket, SSE, long and
 * short polling, many per process over several 127.0.0.x source addresses) and its reports (JSON
 * and a self-contained HTML page) that put measured numbers on each transport rung: delivered
 * messages per second, loss/duplicates/order from offsets, publish-to-receipt delay (HdrHistogram),
 * bytes and HTTP requests per delivered message counted at the socket, and the server's CPU and
 * resident memory from {@code /proc}. The {@code hostile} scenario ({@link
 * io.herald.bench.BenchMain}) measures well-behaved subscribers without and then beside attackers
 * (non-reading WebSocket senders, slowloris, slow bodies, silent sockets, channel floods, malformed
 * requests and frames) and reports pass or fail per target.
 *
 * <p>The only public type is {@link io.herald.bench.BenchMain}, the command line; everything else
 * is package-private. It drives Herald (PROTOCOL.md) and servers that speak plain SSE, plain
 * WebSocket text frames or long polling with {@code Last-Modified}/{@code Etag} (nchan), from URL
 * templates. See {@code docs/BENCHMARKS.md} for commands and figures. Specs: RFC 6455 (WebSocket),
 * the WHATWG HTML "Server-sent events" section, RFC 7240 ({@code Prefer: wait}).
 */
package io.herald.bench;
