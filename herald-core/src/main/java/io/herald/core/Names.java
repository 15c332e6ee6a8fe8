package io.herald.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Validation of channel names, channel lists and event names (PROTOCOL.md sections 1 and 2).
 * Thread-safe: stateless.
 */
public final class Names {
  /** Longest channel name, in characters. */
  public static final int MAX_CHANNEL_LENGTH = 200;

  /** Longest event name, in characters. */
  public static final int MAX_EVENT_LENGTH = 64;

  /** The default event name; an SSE event with it has no {@code event:} line. */
  public static final String DEFAULT_EVENT = "message";

  /** Event names with this prefix are reserved for the server. */
  public static final String RESERVED_EVENT_PREFIX = "herald.";

  private Names() {}

  /**
   * Checks a channel name: 1 to 200 of {@code A-Z a-z 0-9 _ - . : @ =}.
   *
   * @return the name, unchanged
   * @throws ProtocolException {@code invalid_channel} saying what was wrong
   */
  public static String channel(String name) {
    if (name == null || name.isEmpty()) {
      throw new ProtocolException(
          ErrorCode.INVALID_CHANNEL,
          "channel name is empty; use 1 to 200 of A-Z a-z 0-9 _ - . : @ =");
    }
    if (name.length() > MAX_CHANNEL_LENGTH) {
      throw new ProtocolException(
          ErrorCode.INVALID_CHANNEL,
          "channel name is "
              + name.length()
              + " characters long; at most "
              + MAX_CHANNEL_LENGTH
              + " are allowed");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!isChannelChar(c)) {
        throw new ProtocolException(
            ErrorCode.INVALID_CHANNEL,
            "channel name '"
                + printable(name)
                + "' has the character '"
                + printable(String.valueOf(c))
                + "' at index "
                + i
                + "; allowed are A-Z a-z 0-9 _ - . : @ =");
      }
    }
    return name;
  }

  /**
   * Parses a comma-separated channel list such as {@code a,b}.
   *
   * @param list the list, as it appears in a path
   * @param maxChannels the most channels allowed, at least 1
   * @return the names, in order, each checked by {@link #channel(String)}
   * @throws ProtocolException {@code invalid_channel} for a bad or repeated name, {@code
   *     too_many_channels} past {@code maxChannels}
   */
  public static List<String> channelList(String list, int maxChannels) {
    if (list == null || list.isEmpty()) {
      throw new ProtocolException(
          ErrorCode.INVALID_CHANNEL,
          "no channel given; name 1 or more channels separated by commas");
    }
    String[] parts = list.split(",", -1);
    if (parts.length > maxChannels) {
      throw new ProtocolException(
          ErrorCode.TOO_MANY_CHANNELS,
          parts.length
              + " channels requested; at most "
              + maxChannels
              + " are allowed in one subscription");
    }
    List<String> names = new ArrayList<>(parts.length);
    for (String part : parts) {
      channel(part);
      if (names.contains(part)) {
        throw new ProtocolException(
            ErrorCode.INVALID_CHANNEL,
            "channel '" + part + "' is listed twice; list each channel once");
      }
      names.add(part);
    }
    return List.copyOf(names);
  }

  /**
   * Checks an event name given by a publisher: 1 to 64 of {@code A-Z a-z 0-9 _ - .}, not starting
   * with {@code herald.}; {@code null} means {@link #DEFAULT_EVENT}.
   *
   * @return the event name to use
   * @throws ProtocolException {@code invalid_event} saying what was wrong
   */
  public static String event(String name) {
    if (name == null) {
      return DEFAULT_EVENT;
    }
    if (name.isEmpty() || name.length() > MAX_EVENT_LENGTH) {
      throw new ProtocolException(
          ErrorCode.INVALID_EVENT,
          "event name must be 1 to 64 characters long, got " + name.length());
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!(isAlnum(c) || c == '_' || c == '-' || c == '.')) {
        throw new ProtocolException(
            ErrorCode.INVALID_EVENT,
            "event name '"
                + printable(name)
                + "' has the character '"
                + printable(String.valueOf(c))
                + "'; allowed are A-Z a-z 0-9 _ - .");
      }
    }
    if (name.startsWith(RESERVED_EVENT_PREFIX)) {
      throw new ProtocolException(
          ErrorCode.INVALID_EVENT,
          "event names starting with 'herald.' are reserved for the server");
    }
    return name;
  }

  static boolean isChannelChar(char c) {
    return isAlnum(c) || c == '_' || c == '-' || c == '.' || c == ':' || c == '@' || c == '=';
  }

  static boolean isAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  /** Shortens and escapes user input for use inside an error message. */
  static String printable(String s) {
    return printable(s, 64);
  }

  /**
   * Escapes control characters (as backslash, u and four hex digits) and cuts after {@code max}
   * characters, marking the cut with {@code ...}: user input, or a parser's message quoting it,
   * made one printable line.
   */
  static String printable(String s, int max) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && i < max; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    if (s.length() > max) {
      b.append("...");
    }
    return b.toString();
  }
}
