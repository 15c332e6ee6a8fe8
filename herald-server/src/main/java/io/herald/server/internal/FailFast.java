package io.herald.server.internal;

/**
 * Ends the process on {@link OutOfMemoryError}, wherever it is seen (an event loop's {@code
 * exceptionCaught}, any thread's uncaught exception), so that a supervisor restarts the server
 * instead of leaving it half dead. The launcher's {@code -XX:+ExitOnOutOfMemoryError} does the same
 * inside the JVM; this covers a JVM started without it. Thread-safe.
 */
public final class FailFast {
  /** The exit status after an {@code OutOfMemoryError}. */
  public static final int EXIT_STATUS = 3;

  private static final java.util.concurrent.atomic.AtomicBoolean INSTALLED =
      new java.util.concurrent.atomic.AtomicBoolean();

  private FailFast() {}

  /**
   * Makes every thread's uncaught {@code OutOfMemoryError} end the process; other uncaught
   * exceptions go to the handler that was installed before (or are printed, as by default).
   * Idempotent.
   */
  public static void install() {
    if (!INSTALLED.compareAndSet(false, true)) {
      return;
    }
    Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler(
        (thread, e) -> {
          check(e);
          if (previous != null) {
            previous.uncaughtException(thread, e);
          } else {
            System.err.print("Exception in thread \"" + thread.getName() + "\" ");
            e.printStackTrace();
          }
        });
  }

  /** Halts the process when {@code e} is, or was caused by, an {@code OutOfMemoryError}. */
  public static void check(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof OutOfMemoryError) {
        try {
          System.err.println("herald: out of memory (" + t.getMessage() + "); exiting");
        } finally {
          Runtime.getRuntime().halt(EXIT_STATUS);
        }
      }
    }
  }
}
