package io.herald.bench;

import java.util.Locale;

/** The four rungs the bench can drive, with their wire names and what the report says of each. */
enum Transport {
  WEBSOCKET("websocket", "both ways, one connection"),
  SSE("sse", "server to client, one streaming response"),
  LONG_POLL("long-poll", "server to client, one request per answer"),
  SHORT_POLL("short-poll", "client pulls at an interval");

  private final String wireName;
  private final String direction;

  Transport(String wireName, String direction) {
    this.wireName = wireName;
    this.direction = direction;
  }

  /** The name used on the command line and in reports ({@code long-poll}). */
  String wireName() {
    return wireName;
  }

  /** Direction and connection shape, for the report's side-by-side table. */
  String direction() {
    return direction;
  }

  boolean streaming() {
    return this == WEBSOCKET || this == SSE;
  }

  /**
   * Parses a wire name, case-insensitive; {@code ws}, {@code longpoll} and {@code poll} are
   * accepted too.
   */
  static Transport parse(String s) {
    String n = s.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    switch (n) {
      case "ws":
      case "websocket":
        return WEBSOCKET;
      case "sse":
      case "eventsource":
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
            "unknown transport '" + s + "'; use websocket, sse, long-poll or short-poll");
    }
  }

  @Override
  public String toString() {
    return wireName;
  }
}
