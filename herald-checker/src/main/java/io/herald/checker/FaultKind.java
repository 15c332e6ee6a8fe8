package io.herald.checker;

/** The faults the nemesis injects; each run's schedule draws from all of them. */
public enum FaultKind {
  /** A node killed with SIGKILL, then started again. */
  KILL_NODE,
  /** A node stopped with SIGTERM (graceful shutdown), then started again. */
  TERM_NODE,
  /** Redis frozen with SIGSTOP for a few seconds, then SIGCONT. */
  PAUSE_REDIS,
  /** Redis stopped and started again with its data (append-only file, fsync always). */
  RESTART_REDIS_WITH_DATA,
  /** Redis stopped and started again empty: every channel's history is lost (new epochs). */
  RESTART_REDIS_EMPTY,
  /** Every TCP connection through one node's proxy cut at once. */
  CUT_CONNECTIONS,
  /** One node's proxy stops forwarding for a few seconds (a network stall), then resumes. */
  STALL_NETWORK,
  /** Some subscribers stop reading their connections for a few seconds, then resume. */
  STALL_CLIENTS
}
