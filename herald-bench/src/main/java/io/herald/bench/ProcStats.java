package io.herald.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Reads a process's CPU time ({@code utime+stime} of {@code /proc/PID/stat}, in clock ticks) and
 * resident memory ({@code VmRSS} of {@code /proc/PID/status}, in KiB). Linux only. Thread-safe.
 */
final class ProcStats {
  /**
   * One sample: CPU seconds used so far, resident KiB, and when it was taken ({@link
   * System#nanoTime()}).
   */
  record Sample(double cpuSeconds, long rssKib, long nanoTime) {
    /** CPU cores used on average between {@code earlier} and this sample (1.0 = one core busy). */
    double coresSince(Sample earlier) {
      double wall = (nanoTime - earlier.nanoTime) / 1e9;
      return wall <= 0 ? 0 : (cpuSeconds - earlier.cpuSeconds) / wall;
    }
  }

  private static volatile long clockTick;

  private ProcStats() {}

  /**
   * Samples {@code pid} together with its descendants (nginx's workers under the master; none for a
   * JVM). Resident memory is summed, so pages shared between processes count once per process.
   *
   * @return null when pid is 0 or less or the process cannot be read
   */
  static Sample sample(long pid) {
    if (pid <= 0) {
      return null;
    }
    Sample own = sampleOne(pid);
    if (own == null) {
      return null;
    }
    double cpu = own.cpuSeconds();
    long rss = own.rssKib();
    for (ProcessHandle child :
        ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(java.util.List.of())) {
      Sample c = sampleOne(child.pid());
      if (c != null) {
        cpu += c.cpuSeconds();
        rss += c.rssKib();
      }
    }
    return new Sample(cpu, rss, own.nanoTime());
  }

  private static Sample sampleOne(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
      String status =
          Files.readString(Path.of("/proc/" + pid + "/status"), StandardCharsets.US_ASCII);
      return new Sample(cpuTicks(stat) / (double) clockTick(), rssKib(status), System.nanoTime());
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Samples this process. */
  static Sample self() {
    return sampleOne(ProcessHandle.current().pid());
  }

  /**
   * {@code utime + stime} in clock ticks from the text of {@code /proc/PID/stat}. The command name
   * (field 2) may hold spaces and parentheses, so fields are counted from the last {@code ')'}.
   *
   * @throws IllegalArgumentException when the text is not a stat line
   */
  static long cpuTicks(String stat) {
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      throw new IllegalArgumentException("not a /proc/PID/stat line");
    }
    String[] f = stat.substring(close + 1).trim().split("\\s+");
    // f[0] is field 3 (state); utime is field 14, stime field 15.
    if (f.length < 13) {
      throw new IllegalArgumentException("short /proc/PID/stat line");
    }
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /**
   * {@code VmRSS} in KiB from the text of {@code /proc/PID/status}.
   *
   * @throws IllegalArgumentException when there is no VmRSS line (e.g. a zombie)
   */
  static long rssKib(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("VmRSS:")) {
        String v = line.substring(6).trim();
        int sp = v.indexOf(' ');
        return Long.parseLong(sp < 0 ? v : v.substring(0, sp));
      }
    }
    throw new IllegalArgumentException("no VmRSS line");
  }

  /** Clock ticks per second ({@code getconf CLK_TCK}, 100 when that fails). */
  static long clockTick() {
    long t = clockTick;
    if (t == 0) {
      t = 100;
      try {
        Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
        String out =
            new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
          t = Long.parseLong(out);
        }
      } catch (IOException | NumberFormatException e) {
        t = 100;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      clockTick = t;
    }
    return t;
  }
}
