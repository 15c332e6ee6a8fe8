package io.herald.server.internal;

/**
 * The user event fired on every connection's pipeline when the server shuts down: WebSockets close
 * with 1001, SSE streams end, other connections close once their answer is written.
 */
public enum ServerShutdown {
  INSTANCE
}
