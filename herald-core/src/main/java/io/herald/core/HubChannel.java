package io.herald.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The hub's state for one channel on this node: the local log (a copy of the broker's retained
 * history, kept current by live messages) and the subscribers to signal when it grows, grouped by
 * executor so one append costs one task per event loop, not one per subscriber. Package-private:
 * the hub's own bookkeeping. Log changes happen under this object's lock.
 */
final class HubChannel {
  private final String name;
  private volatile ChannelLog log;
  final CompletableFuture<HubChannel> ready = new CompletableFuture<>();

  /** Completes once a dead channel is unsubscribed in the broker and removed from the hub. */
  final CompletableFuture<Void> gone = new CompletableFuture<>();

  private final Map<Executor, Group> groups = new ConcurrentHashMap<>();
  // guarded by this
  int refs;
  long idleSince = System.currentTimeMillis();
  boolean started;
  boolean dead;
  boolean filling;
  boolean refillWanted;

  /** Completes after the fill pass that follows the one under way; null when none was asked. */
  CompletableFuture<Void> nextFill;

  final List<Message> pending = new ArrayList<>();

  HubChannel(String name) {
    this.name = name;
  }

  String name() {
    return name;
  }

  ChannelLog log() {
    return log;
  }

  void setLog(ChannelLog log) {
    this.log = log;
  }

  Group group(Executor executor) {
    return groups.computeIfAbsent(executor, Group::new);
  }

  /** Signals every group that has subscribers: one task per executor. */
  void signal() {
    for (Group g : groups.values()) {
      if (!g.subscriptions.isEmpty()) {
        g.schedule();
      }
    }
  }

  int subscriberCount() {
    int n = 0;
    for (Group g : groups.values()) {
      n += g.subscriptions.size();
    }
    return n;
  }

  /**
   * The subscriptions of one executor, signalled by one task. The task walks an array snapshot of
   * the set, rebuilt on the executor after a change (subscribing and unsubscribing are rare next to
   * messages), not the concurrent set itself.
   */
  static final class Group implements Runnable {
    private final Executor executor;
    final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile boolean changed;
    private Subscription[] snapshot = new Subscription[0]; // confined to the executor

    Group(Executor executor) {
      this.executor = executor;
    }

    void add(Subscription s) {
      subscriptions.add(s);
      changed = true;
    }

    void remove(Subscription s) {
      subscriptions.remove(s);
      changed = true;
    }

    void schedule() {
      if (scheduled.compareAndSet(false, true)) {
        try {
          executor.execute(this);
        } catch (RejectedExecutionException e) {
          scheduled.set(false); // the executor is shutting down; its connections are closing
        }
      }
    }

    @Override
    public void run() {
      scheduled.set(false);
      if (changed) {
        changed = false; // before the copy: a change made during it marks the next run
        snapshot = subscriptions.toArray(new Subscription[0]);
      }
      for (Subscription s : snapshot) {
        s.signal();
      }
    }
  }
}
