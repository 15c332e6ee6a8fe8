package io.herald.server.internal;

import io.herald.server.ServerConfig;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up check of the open-file limit: every connection is a file descriptor, so a process
 * whose limit ({@code ulimit -n}, systemd's {@code LimitNOFILE}) is below {@code maxConnections}
 * plus {@code openFilesHeadroom} would run out of descriptors before it refused a connection, and
 * clients would hang at {@code accept} instead of getting {@code 503 over_capacity}. The server
 * then lowers its connection limit to what the process can hold, and says so in a WARN line.
 * Thread-safe (stateless).
 */
public final class OpenFiles {
  private static final Logger LOG = LoggerFactory.getLogger(OpenFiles.class);

  private OpenFiles() {}

  /**
   * The process's open-file limit ({@code getrlimit(RLIMIT_NOFILE)} soft limit), or -1 when the
   * platform does not tell (not a Unix JVM).
   */
  public static long limit() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return unix.getMaxFileDescriptorCount();
    }
    return -1;
  }

  /**
   * The connection limit the process can meet under {@code openFileLimit}: {@code maxConnections}
   * when the limit is unknown ({@code < 0}) or at least {@code maxConnections + openFilesHeadroom};
   * otherwise the limit minus the headroom (at least 1), with a WARN line naming both numbers and
   * the way out.
   */
  public static int effectiveMaxConnections(ServerConfig config, long openFileLimit) {
    int wanted = config.maxConnections();
    int headroom = config.openFilesHeadroom();
    if (openFileLimit < 0 || openFileLimit >= (long) wanted + headroom) {
      return wanted;
    }
    int effective = (int) Math.max(1, openFileLimit - headroom);
    LOG.warn(
        "the open-file limit is {} but --max-connections {} needs {} (plus --open-files-headroom"
            + " {}): lowering the connection limit to {}, so that clients past it get 503"
            + " over_capacity rather than hang. Raise the limit (ulimit -n, or LimitNOFILE= in the"
            + " systemd unit) to serve more.",
        openFileLimit,
        wanted,
        (long) wanted + headroom,
        headroom,
        effective);
    return effective;
  }
}
