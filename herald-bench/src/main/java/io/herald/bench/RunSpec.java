package io.herald.bench;

import io.herald.core.Transport;
import java.io.PrintStream;

/**
 * Everything one run needs: what to run, against what, how hard and how long.
 *
 * @param subscribers connections to open, 1 to 19,000 (the process's open-file limit applies)
 * @param rate publications per second over all channels (open loop)
 * @param size payload bytes per publication
 * @param durationSeconds how long to publish (or, for idle, to hold)
 * @param pollIntervalMillis short polling interval per subscriber
 * @param longPollWaitSeconds Herald's {@code wait} for long polls
 * @param loops event loops for the clients (1 or 2 on a 2-core machine)
 * @param sourceAddresses how many 127.0.0.x source addresses to spread connections over
 * @param connectConcurrency connections being opened at once, at most
 * @param connectTimeoutSeconds how long to wait for every subscriber to be ready
 * @param publishConnections publisher connections; 0 picks (4 for Herald, 1 otherwise)
 * @param publishPipeline requests in flight per publisher connection (HTTP/1.1 pipelining); 0 picks
 *     (1 for Herald, 16 otherwise)
 * @param churnPerSecond subscribers dropped and resumed per second (churn only)
 * @param drainSeconds how long to wait, at most, for the last deliveries after publishing
 * @param warmupSeconds publishing at the same rate before the measured window (not measured; 0 for
 *     none)
 * @param progress where the one-line-per-second progress goes; null for none
 */
record RunSpec(
    Scenario scenario,
    Transport transport,
    Target target,
    int subscribers,
    double rate,
    int size,
    double durationSeconds,
    int pollIntervalMillis,
    int longPollWaitSeconds,
    int loops,
    int sourceAddresses,
    int connectConcurrency,
    int connectTimeoutSeconds,
    int publishConnections,
    int publishPipeline,
    double churnPerSecond,
    int drainSeconds,
    double warmupSeconds,
    PrintStream progress) {

  /** A spec with the bench's defaults for everything but the essentials; for tests. */
  static RunSpec of(
      Scenario scenario,
      Transport transport,
      Target target,
      int subscribers,
      double rate,
      int size,
      double seconds) {
    return new RunSpec(
        scenario,
        transport,
        target,
        subscribers,
        rate,
        size,
        seconds,
        500,
        30,
        2,
        4,
        200,
        60,
        0,
        0,
        5,
        15,
        0,
        null);
  }

  RunSpec withProgress(PrintStream out) {
    return new RunSpec(
        scenario,
        transport,
        target,
        subscribers,
        rate,
        size,
        durationSeconds,
        pollIntervalMillis,
        longPollWaitSeconds,
        loops,
        sourceAddresses,
        connectConcurrency,
        connectTimeoutSeconds,
        publishConnections,
        publishPipeline,
        churnPerSecond,
        drainSeconds,
        warmupSeconds,
        out);
  }
}
