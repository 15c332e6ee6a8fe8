/**
 * The Herald Java client: publish to channels over HTTP ({@code POST /channels/{channel}}) and
 * subscribe over any of the four transports (WebSocket, Server-Sent Events, long poll, short poll)
 * with one cursor format that resumes on any other transport (PROTOCOL.md, version 1).
 *
 * <p>Start with {@link io.herald.client.HeraldClient}. Only the JDK's {@code java.net.http}
 * (HttpClient and WebSocket, RFC 6455) and Jackson are used; Server-Sent Events are parsed by a
 * small parser that follows the WHATWG HTML "server-sent events" section for lines, {@code id},
 * {@code event}, {@code data}, {@code retry} and comments.
 */
package io.herald.client;
