package io.herald.core;

/**
 * What the hub reports to monitoring: gaps, positions that could not be recovered, and live
 * messages received from the broker. The core stays free of any metrics library; the server binds
 * an implementation to its meters (see {@link Hub#observer(HubObserver)}).
 *
 * <p>Implementations must be thread-safe, fast and must not block or throw: the methods run on
 * event loops and on the broker's listener thread, once per gap, per unrecovered subscription and
 * per live message (never once per delivery). The default methods do nothing.
 */
public interface HubObserver {
  /** An observer that ignores everything. */
  HubObserver NONE = new HubObserver() {};

  /** Why a cursor skipped messages it had not read (a gap notice, PROTOCOL.md section 4). */
  enum GapCause {
    /** The reader lagged behind what the history keeps (size, age or the node's byte budget). */
    LAGGED("lagged"),
    /** The channel's epoch changed (its history was lost, for example Redis restarted empty). */
    EPOCH("epoch");

    private final String label;

    GapCause(String label) {
      this.label = label;
    }

    /** The lower-case name used as a metric label, for example {@code lagged}. */
    public String label() {
      return label;
    }
  }

  /** Why a subscription's position could not be resumed ({@code recovered:false}). */
  enum RecoveryFailure {
    /** The position names another epoch than the channel's. */
    EPOCH("epoch"),
    /** Messages after the position are no longer retained. */
    EXPIRED("expired"),
    /** The position is ahead of the channel's head (never handed out by this broker). */
    AHEAD("ahead");

    private final String label;

    RecoveryFailure(String label) {
      this.label = label;
    }

    /** The lower-case name used as a metric label, for example {@code expired}. */
    public String label() {
      return label;
    }
  }

  /** A cursor moved past messages it had not read, for {@code cause}. */
  default void gap(GapCause cause) {}

  /** A subscription opened with {@code recovered:false}, for {@code cause}. */
  default void notRecovered(RecoveryFailure cause) {}

  /**
   * The broker delivered live message {@code m} to this node at {@code receivedMillis} (wall clock,
   * milliseconds since the Unix epoch); {@code m.time()} is when the broker accepted it (for Redis,
   * Redis's clock), so the difference is the Pub/Sub lag.
   */
  default void received(Message m, long receivedMillis) {}
}
