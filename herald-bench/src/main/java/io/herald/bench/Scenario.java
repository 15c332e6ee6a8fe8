package io.herald.bench;

/** What a run does with its subscribers. */
enum Scenario {
  /** N subscribers of one channel; one publisher at a rate. */
  FAN_OUT("fan-out"),
  /** N subscribers, each on its own channel; the publisher goes round the channels. */
  MANY_CHANNELS("many-channels"),
  /** N connections holding still: memory and CPU per connection. */
  IDLE("idle"),
  /** Fan-out while subscribers drop and resume at a rate: nothing may be lost or doubled. */
  CHURN("churn"),
  /**
   * Fan-out measured twice, without and then with attackers beside it (non-reading WebSocket
   * senders, slowloris, slow bodies, silent sockets, channel floods, bad requests).
   */
  HOSTILE("hostile");

  private final String wireName;

  Scenario(String wireName) {
    this.wireName = wireName;
  }

  String wireName() {
    return wireName;
  }

  @Override
  public String toString() {
    return wireName;
  }
}
