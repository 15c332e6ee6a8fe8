package io.herald.checker;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kills every child process and closes every proxy the checker started when the JVM exits, even
 * after an exception or Ctrl-C (one shutdown hook). A process still SIGSTOPped is killed with
 * SIGKILL, which works on stopped processes.
 *
 * <p>Thread-safe.
 */
final class Reaper {
  private static final Set<Process> PROCESSES = ConcurrentHashMap.newKeySet();
  private static final Set<AutoCloseable> CLOSEABLES = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(Reaper::reapAll, "herald-checker-reaper"));
  }

  private Reaper() {}

  static void track(Process p) {
    PROCESSES.add(p);
  }

  static void untrack(Process p) {
    PROCESSES.remove(p);
  }

  static void track(AutoCloseable c) {
    CLOSEABLES.add(c);
  }

  static void untrack(AutoCloseable c) {
    CLOSEABLES.remove(c);
  }

  /** Kills every tracked process (SIGKILL) and closes every tracked proxy. */
  static void reapAll() {
    for (Process p : PROCESSES) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    PROCESSES.clear();
    for (AutoCloseable c : CLOSEABLES) {
      try {
        c.close();
      } catch (Exception ignored) {
        // best effort at exit
      }
    }
    CLOSEABLES.clear();
  }

  /** Sends a signal ({@code STOP}, {@code CONT}) to a process with kill(1). */
  static void signal(Process p, String signal) {
    try {
      Process k = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start();
      k.waitFor();
    } catch (Exception e) {
      throw new IllegalStateException("kill -" + signal + " " + p.pid() + " failed", e);
    }
  }
}
