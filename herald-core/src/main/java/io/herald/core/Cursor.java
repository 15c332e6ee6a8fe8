package io.herald.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The positions of a list of channels, comma-separated in the order of that list: {@code
 * k3f9:18,ab12:40} (PROTOCOL.md section 3). An empty entry means "from now" for that channel and is
 * a {@code null} element of {@link #positions()}. One format serves every transport. Immutable.
 */
public final class Cursor {
  private final List<Position> positions;

  private Cursor(List<Position> positions) {
    this.positions = positions;
  }

  /**
   * A cursor of the given positions; {@code null} elements mean "from now".
   *
   * @param positions one per channel, in channel-list order
   */
  public static Cursor of(List<Position> positions) {
    return new Cursor(Collections.unmodifiableList(new ArrayList<>(positions)));
  }

  /** A cursor that starts every one of {@code channels} channels from now. */
  public static Cursor fromNow(int channels) {
    return new Cursor(Collections.nCopies(channels, null));
  }

  /**
   * Parses a cursor for a list of {@code channels} channels. {@code null} or an empty string means
   * "from now" on every channel.
   *
   * @param text the cursor, for example {@code k3f9:18,ab12:40}
   * @param channels how many channels the subscription lists, 1 or more
   * @throws ProtocolException {@code invalid_cursor} when a position does not parse or the count of
   *     positions differs from {@code channels}
   */
  public static Cursor parse(String text, int channels) {
    if (text == null || text.isEmpty()) {
      return fromNow(channels);
    }
    String[] parts = text.split(",", -1);
    if (parts.length != channels) {
      throw new ProtocolException(
          ErrorCode.INVALID_CURSOR,
          "cursor '"
              + Names.printable(text)
              + "' has "
              + parts.length
              + " position(s) but the subscription lists "
              + channels
              + " channel(s); give one position per channel, in the same order, comma-separated");
    }
    List<Position> positions = new ArrayList<>(parts.length);
    for (String part : parts) {
      positions.add(part.isEmpty() ? null : Position.parse(part));
    }
    return new Cursor(Collections.unmodifiableList(positions));
  }

  /** One position per channel, in channel-list order; a {@code null} element means "from now". */
  public List<Position> positions() {
    return positions;
  }

  /** The position of channel {@code index}, or {@code null} for "from now". */
  public Position get(int index) {
    return positions.get(index);
  }

  /** How many channels this cursor covers. */
  public int size() {
    return positions.size();
  }

  /** A copy with the position of channel {@code index} replaced. */
  public Cursor with(int index, Position position) {
    List<Position> copy = new ArrayList<>(positions);
    copy.set(index, position);
    return new Cursor(Collections.unmodifiableList(copy));
  }

  /** The wire form, for example {@code k3f9:18,ab12:40}. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < positions.size(); i++) {
      if (i > 0) {
        b.append(',');
      }
      Position p = positions.get(i);
      if (p != null) {
        b.append(p);
      }
    }
    return b.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cursor c && c.positions.equals(positions);
  }

  @Override
  public int hashCode() {
    return positions.hashCode();
  }
}
