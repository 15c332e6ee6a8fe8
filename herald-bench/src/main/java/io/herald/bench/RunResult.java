package io.herald.bench;

import java.util.List;

/**
 * The measured outcome of one run, as written to JSON and drawn in the report. Delays and connect
 * times in milliseconds, memory in KiB, CPU in seconds or cores (1.0 = one core busy), bytes
 * counted at the subscribers' sockets (headers and handshakes included).
 */
record RunResult(
    String scenario,
    String target,
    String targetKind,
    String transport,
    String direction,
    int subscribers,
    long ready,
    long connectFailures,
    double connectSeconds,
    double connectP50Ms,
    double connectP99Ms,
    double setupBytesPerConnection,
    double rate,
    int size,
    double durationSeconds,
    long published,
    long publishFailures,
    long publisherMaxBacklog,
    long publisherUnsent,
    double publishP50Ms,
    double publishP99Ms,
    long expected,
    long delivered,
    double deliveredPerSecond,
    double offeredPerSecond,
    long lost,
    long duplicates,
    long holes,
    long gaps,
    long disconnects,
    long reconnects,
    long errors,
    Delay delay,
    long bytesIn,
    long bytesOut,
    double bytesPerMessage,
    long requests,
    double requestsPerMessage,
    Server server,
    double benchCores,
    List<Second> timeline) {

  /**
   * Publish-to-receipt delay in ms (envelope {@code time} to receipt; ms resolution at the source).
   */
  record Delay(
      long count,
      double p50,
      double p90,
      double p99,
      double p999,
      double max,
      double mean,
      List<double[]> percentiles) {}

  /** The server process, from /proc; all zero when no pid was given. */
  record Server(
      long pid,
      long rssBeforeKib,
      long rssConnectedKib,
      long rssPeakKib,
      long rssEndKib,
      double rssPerConnectionKib,
      double cpuSeconds,
      double cores,
      double idleCores) {}

  /** One second of the run. */
  record Second(
      double t,
      String phase,
      double deliveredPerSecond,
      double p50Ms,
      double p99Ms,
      double serverCores,
      long serverRssKib,
      double benchCores,
      long ready,
      long backlog) {}

  /** A short label: {@code herald websocket}. */
  String label() {
    return target + " " + transport;
  }
}
