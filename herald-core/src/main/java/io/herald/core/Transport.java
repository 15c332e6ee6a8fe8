package io.herald.core;

import java.util.Locale;

/**
 * The four transports, the rungs of the ladder (PROTOCOL.md section 6), with the names clients, the
 * command line and the server settings use for them. Immutable.
 */
public enum Transport {
  /** WebSocket: {@code GET /channels/{list}?since=...} with {@code Upgrade: websocket}. */
  WEBSOCKET("websocket", "both ways, one connection"),
  /** Server-Sent Events: {@code GET /channels/{list}} with {@code Accept: text/event-stream}. */
  SSE("sse", "server to client, one streaming response"),
  /** Long poll: {@code GET /channels/{list}?since=...&wait=SECONDS}, repeated. */
  LONG_POLL("long-poll", "server to client, one request per answer"),
  /** Short poll: {@code GET /channels/{list}?since=...}, repeated at an interval. */
  SHORT_POLL("short-poll", "client pulls at an interval");

  private final String wireName;
  private final String direction;

  Transport(String wireName, String direction) {
    this.wireName = wireName;
    this.direction = direction;
  }

  /** Direction and connection shape, in words, for reports: {@code both ways, one connection}. */
  public String direction() {
    return direction;
  }

  /**
   * Whether the server pushes on a connection it keeps (WebSocket, SSE) rather than answering
   * polls.
   */
  public boolean streaming() {
    return this == WEBSOCKET || this == SSE;
  }

  /**
   * The command-line name: {@code websocket}, {@code sse}, {@code long-poll} or {@code short-poll}.
   */
  public String wireName() {
    return wireName;
  }

  /**
   * Parses a command-line name ({@code websocket}, {@code sse}, {@code long-poll}, {@code
   * short-poll}), case-insensitively; {@code ws}, {@code longpoll}, {@code long_poll} and the enum
   * names are accepted too.
   *
   * @throws IllegalArgumentException for any other name, listing the valid ones
   */
  public static Transport parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    switch (n) {
      case "websocket":
      case "ws":
        return WEBSOCKET;
      case "sse":
      case "eventsource":
      case "event-stream":
        return SSE;
      case "long-poll":
      case "longpoll":
        return LONG_POLL;
      case "short-poll":
      case "shortpoll":
      case "poll":
        return SHORT_POLL;
      default:
        throw new IllegalArgumentException(
            "unknown transport '" + name + "'; use websocket, sse, long-poll or short-poll");
    }
  }

  @Override
  public String toString() {
    return wireName;
  }
}
