package io.herald.server.internal;

import io.netty.channel.ChannelHandlerContext;

/** Running work on a connection's event loop. */
final class EventLoops {
  private EventLoops() {}

  /**
   * Runs {@code task} on the event loop of {@code ctx}: at once when called there (a future the
   * memory broker completed on the spot), otherwise as a task (a broker thread).
   */
  static void runOn(ChannelHandlerContext ctx, Runnable task) {
    if (ctx.executor().inEventLoop()) {
      task.run();
    } else {
      ctx.executor().execute(task);
    }
  }
}
