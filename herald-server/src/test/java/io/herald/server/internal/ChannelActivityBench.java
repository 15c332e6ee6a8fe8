package io.herald.server.internal;

/**
 * What the admin page's busiest-channel counting costs per call of {@link
 * ChannelActivity#delivered} (one per subscription and drain, as {@code StreamingTransport} calls
 * it), on and off: 20,000,000 calls over 100 channels, twice each way. A benchmark, not a test: run
 * its {@code main} (docs/BENCHMARKS.md gives the command).
 */
public final class ChannelActivityBench {
  private ChannelActivityBench() {}

  public static void main(String[] args) {
    String[] channels = new String[100];
    for (int i = 0; i < channels.length; i++) {
      channels[i] = "channel-" + i;
    }
    int n = 20_000_000;
    for (boolean on : new boolean[] {true, false, true, false}) {
      ChannelActivity activity = new ChannelActivity(on);
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        activity.delivered(channels[i % channels.length], 1);
      }
      long nanos = System.nanoTime() - start;
      System.out.printf("admin %s: %.1f ns per call%n", on ? "on " : "off", (double) nanos / n);
    }
  }
}
