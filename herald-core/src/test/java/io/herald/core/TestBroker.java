package io.herald.core;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A {@link Broker} for hub tests: a {@link MemoryBroker} underneath, with switches that make it
 * behave like a broker across a network: lose or repeat live messages, hold unsubscribes back, fail
 * subscriptions, or lose all its data (a new memory broker, so every channel gets a new epoch).
 * Thread-safe.
 */
final class TestBroker implements Broker {
  private final HistoryConfig history;
  private volatile MemoryBroker delegate;
  private volatile BrokerListener listener;

  /** Live messages for which this is true are not relayed (lost on the way, as in Pub/Sub). */
  volatile Predicate<Message> dropLive = m -> false;

  /** Live messages for which this is true are relayed twice. */
  volatile Predicate<Message> repeatLive = m -> false;

  /**
   * While true, live messages are held back (Pub/Sub running late) until {@link #releaseLive()}
   * relays them, in order.
   */
  volatile boolean holdLive;

  private final List<Message> held = new java.util.ArrayList<>();

  /** When true, history reads fail with {@link BrokerUnavailableException}. */
  volatile boolean failHistory;

  /** How many history reads were asked for. */
  final AtomicInteger historyReads = new AtomicInteger();

  /** When set, unsubscribes reach the memory broker only once this completes. */
  volatile CompletableFuture<Void> unsubscribeGate;

  /** When true, subscribe fails with {@link BrokerUnavailableException}. */
  volatile boolean failSubscribe;

  /**
   * The calls that reached the memory broker, as {@code subscribe:channel} or {@code
   * unsubscribe:channel}.
   */
  final List<String> calls = new CopyOnWriteArrayList<>();

  /** How many unsubscribes were asked for, held back or not. */
  final AtomicInteger unsubscribeRequests = new AtomicInteger();

  /** When set, live messages are relayed on this one thread and reads answered on {@link #io}. */
  private final ExecutorService relayThread;

  private final ExecutorService io;

  TestBroker(HistoryConfig history) {
    this(history, false);
  }

  /**
   * @param async whether to act like a broker across a network: live messages relayed later on a
   *     broker thread (in order), subscribe and history answered later on another thread
   */
  TestBroker(HistoryConfig history, boolean async) {
    this.history = history;
    this.delegate = new MemoryBroker(history);
    this.relayThread =
        async ? Executors.newSingleThreadExecutor(r -> daemon(r, "test-broker-relay")) : null;
    this.io = async ? Executors.newFixedThreadPool(2, r -> daemon(r, "test-broker-io")) : null;
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private <T> CompletableFuture<T> later(Supplier<CompletableFuture<T>> call) {
    if (io == null) {
      return call.get();
    }
    return CompletableFuture.supplyAsync(call, io).thenCompose(f -> f);
  }

  private final BrokerListener relay =
      new BrokerListener() {
        @Override
        public void onMessage(Message message) {
          if (dropLive.test(message)) {
            return;
          }
          synchronized (held) {
            if (holdLive) {
              held.add(message);
              return;
            }
          }
          if (relayThread != null) {
            boolean repeat = repeatLive.test(message);
            relayThread.execute(
                () -> {
                  listener.onMessage(message);
                  if (repeat) {
                    listener.onMessage(message);
                  }
                });
            return;
          }
          listener.onMessage(message);
          if (repeatLive.test(message)) {
            listener.onMessage(message);
          }
        }

        @Override
        public void onResync(String channel) {
          listener.onResync(channel);
        }
      };

  /** Stops holding live messages back and relays those held, in order. */
  void releaseLive() {
    List<Message> out;
    synchronized (held) {
      holdLive = false;
      out = List.copyOf(held);
      held.clear();
    }
    for (Message m : out) {
      relay.onMessage(m);
    }
  }

  /**
   * Loses every channel's history: a new memory broker takes over, then the hub is told to resync.
   */
  void loseData(String... resyncChannels) {
    MemoryBroker old = delegate;
    MemoryBroker fresh = new MemoryBroker(history);
    fresh.start(relay);
    for (String c : resyncChannels) {
      fresh.subscribe(c);
    }
    delegate = fresh;
    old.close();
    for (String c : resyncChannels) {
      listener.onResync(c);
    }
  }

  MemoryBroker memory() {
    return delegate;
  }

  @Override
  public void start(BrokerListener listener) {
    this.listener = listener;
    delegate.start(relay);
  }

  @Override
  public CompletableFuture<Message> publish(String channel, String event, byte[] data) {
    return delegate.publish(channel, event, data);
  }

  @Override
  public CompletableFuture<History> subscribe(String channel) {
    if (failSubscribe) {
      return CompletableFuture.failedFuture(
          new BrokerUnavailableException("test broker refuses subscriptions"));
    }
    calls.add("subscribe:" + channel);
    return later(() -> delegate.subscribe(channel));
  }

  @Override
  public CompletableFuture<Void> unsubscribe(String channel) {
    unsubscribeRequests.incrementAndGet();
    CompletableFuture<Void> gate = unsubscribeGate;
    if (gate == null) {
      calls.add("unsubscribe:" + channel);
      return delegate.unsubscribe(channel);
    }
    return gate.thenCompose(
        v -> {
          calls.add("unsubscribe:" + channel);
          return delegate.unsubscribe(channel);
        });
  }

  @Override
  public CompletableFuture<History> history(String channel, long afterOffset) {
    historyReads.incrementAndGet();
    if (failHistory) {
      return CompletableFuture.failedFuture(
          new BrokerUnavailableException("test broker refuses history reads"));
    }
    return later(() -> delegate.history(channel, afterOffset));
  }

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public String describe() {
    return "test";
  }

  @Override
  public void close() {
    delegate.close();
    if (relayThread != null) {
      relayThread.shutdownNow();
      io.shutdownNow();
    }
  }
}
