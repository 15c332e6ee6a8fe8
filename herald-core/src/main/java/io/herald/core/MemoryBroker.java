package io.herald.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The broker of a single node: channel logs in this process's memory, lost on restart (every
 * channel then gets a new epoch). Needs no other process.
 *
 * <p>A publication is appended and handed to the listener under the channel's lock, so the listener
 * sees each channel's offsets in order, without holes. A channel whose messages have all gone (by
 * age, or to the node's {@link HistoryBudget}) and that nobody subscribes to is dropped by a sweep
 * every second; when it is used again it gets a new epoch.
 *
 * <p>Bounds: each channel's history by its {@link HistoryConfig} (messages, bytes, age); all
 * channels' history together by the {@link HistoryBudget}; and the number of channels held (with
 * history or subscribed) by {@code maxChannels}: creating one more, by a publication, a
 * subscription or a read, fails with {@link ProtocolException} {@code over_capacity} and creates
 * nothing.
 *
 * <p>Thread-safe. Every future it returns is already complete.
 */
public final class MemoryBroker implements Broker {
  private final Function<String, HistoryConfig> historyOf;
  private final HistoryBudget budget;
  private final int maxChannels;
  private final AtomicInteger channelCount = new AtomicInteger();
  private final Map<String, Entry> logs = new ConcurrentHashMap<>();
  private final ScheduledExecutorService sweeper;
  private final IdempotencyCache idempotency;
  private volatile BrokerListener listener;

  private static final class Entry {
    ChannelLog log;
    boolean subscribed;
  }

  /**
   * A memory broker keeping the given history per channel, with no node-wide bound on history bytes
   * or channels; for tools and tests.
   */
  public MemoryBroker(HistoryConfig history) {
    this(history, Duration.ofSeconds(1));
  }

  /**
   * @param history how much history each channel keeps
   * @param sweepInterval how often expired messages and idle channels are dropped
   */
  public MemoryBroker(HistoryConfig history, Duration sweepInterval) {
    this(history, HistoryBudget.UNLIMITED, Integer.MAX_VALUE, sweepInterval);
  }

  /**
   * A memory broker for a server node, with the default idempotency window and key bound.
   *
   * @param history how much history each channel keeps
   * @param budget the node's bound on history bytes, shared with the {@link Hub}
   * @param maxChannels the most channels held at once, 1 or more
   */
  public MemoryBroker(HistoryConfig history, HistoryBudget budget, int maxChannels) {
    this(history, budget, maxChannels, Duration.ofSeconds(1));
  }

  /**
   * @param history how much history each channel keeps
   * @param budget the node's bound on history bytes, shared with the {@link Hub}
   * @param maxChannels the most channels held at once, 1 or more
   * @param sweepInterval how often expired messages and idle channels are dropped
   */
  public MemoryBroker(
      HistoryConfig history, HistoryBudget budget, int maxChannels, Duration sweepInterval) {
    this(
        history,
        budget,
        maxChannels,
        sweepInterval,
        Duration.ofSeconds(IdempotencyKeys.DEFAULT_WINDOW_SECONDS),
        IdempotencyKeys.DEFAULT_MAX_KEYS);
  }

  /**
   * A memory broker with no node-wide bound on history bytes or channels, and the given idempotency
   * window; for tools and tests.
   */
  public MemoryBroker(
      HistoryConfig history,
      Duration sweepInterval,
      Duration idempotencyWindow,
      int maxIdempotencyKeys) {
    this(
        history,
        HistoryBudget.UNLIMITED,
        Integer.MAX_VALUE,
        sweepInterval,
        idempotencyWindow,
        maxIdempotencyKeys);
  }

  /**
   * @param history how much history each channel keeps
   * @param budget the node's bound on history bytes, shared with the {@link Hub}
   * @param maxChannels the most channels held at once, 1 or more
   * @param sweepInterval how often expired messages, idle channels and expired idempotency keys are
   *     dropped
   * @param idempotencyWindow how long an idempotency key is remembered after its publication, at
   *     least 1 ms
   * @param maxIdempotencyKeys how many idempotency keys this node remembers at most, over all
   *     channels, 1 or more; past it the oldest are forgotten first (a retry with a forgotten key
   *     publishes again)
   */
  public MemoryBroker(
      HistoryConfig history,
      HistoryBudget budget,
      int maxChannels,
      Duration sweepInterval,
      Duration idempotencyWindow,
      int maxIdempotencyKeys) {
    this(
        uniform(history),
        budget,
        maxChannels,
        sweepInterval,
        idempotencyWindow,
        maxIdempotencyKeys);
  }

  /**
   * A memory broker for a server node whose channels keep different history (the namespaces of
   * PROTOCOL.md section 10).
   *
   * @param historyOf how much history a channel keeps, by channel name; called once each time a
   *     channel's log is made, from any thread; it must be fast, must not block, and must not fail
   * @param budget the node's bound on history bytes, shared with the {@link Hub}
   * @param maxChannels the most channels held at once, 1 or more
   */
  public MemoryBroker(
      Function<String, HistoryConfig> historyOf, HistoryBudget budget, int maxChannels) {
    this(historyOf, budget, maxChannels, Duration.ofSeconds(1));
  }

  /**
   * As {@link #MemoryBroker(Function, HistoryBudget, int)}, with the default idempotency window.
   *
   * @param sweepInterval how often expired messages and idle channels are dropped
   */
  public MemoryBroker(
      Function<String, HistoryConfig> historyOf,
      HistoryBudget budget,
      int maxChannels,
      Duration sweepInterval) {
    this(
        historyOf,
        budget,
        maxChannels,
        sweepInterval,
        Duration.ofSeconds(IdempotencyKeys.DEFAULT_WINDOW_SECONDS),
        IdempotencyKeys.DEFAULT_MAX_KEYS);
  }

  /**
   * The full constructor: as the one above with {@code HistoryConfig}, but each channel keeps the
   * history {@code historyOf} gives for its name (see {@link #MemoryBroker(Function, HistoryBudget,
   * int)}).
   */
  public MemoryBroker(
      Function<String, HistoryConfig> historyOf,
      HistoryBudget budget,
      int maxChannels,
      Duration sweepInterval,
      Duration idempotencyWindow,
      int maxIdempotencyKeys) {
    if (maxChannels < 1) {
      throw new IllegalArgumentException("max channels must be 1 or more, got " + maxChannels);
    }
    this.historyOf = Objects.requireNonNull(historyOf, "historyOf");
    this.budget = budget;
    this.maxChannels = maxChannels;
    this.idempotency = new IdempotencyCache(idempotencyWindow.toMillis(), maxIdempotencyKeys);
    this.sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "herald-memory-broker-sweeper");
              t.setDaemon(true);
              return t;
            });
    long every = sweepInterval.toMillis();
    sweeper.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
  }

  private static Function<String, HistoryConfig> uniform(HistoryConfig history) {
    Objects.requireNonNull(history, "history");
    return channel -> history;
  }

  @Override
  public void start(BrokerListener listener) {
    this.listener = listener;
  }

  /**
   * The channel's entry, created when missing.
   *
   * @throws ProtocolException {@code over_capacity} when creating it would pass {@code maxChannels}
   */
  private Entry entry(String channel) {
    Entry existing = logs.get(channel);
    if (existing != null) {
      return existing;
    }
    return logs.computeIfAbsent(
        channel,
        c -> {
          if (channelCount.incrementAndGet() > maxChannels) {
            channelCount.decrementAndGet();
            throw overCapacity(maxChannels);
          }
          Entry e = new Entry();
          e.log = new ChannelLog(c, Epochs.random(), 0, historyOf.apply(c), budget);
          return e;
        });
  }

  /**
   * The refusal of one channel more than a node's limit allows: {@code 503 over_capacity}, a server
   * limit, not the client's fault.
   *
   * @param maxChannels the limit
   */
  public static ProtocolException overCapacity(int maxChannels) {
    return new ProtocolException(
        ErrorCode.OVER_CAPACITY,
        "this node holds its limit of "
            + maxChannels
            + " active channels (a server limit, --max-active-channels); use an existing"
            + " channel or retry once idle channels have expired");
  }

  @Override
  public CompletableFuture<Message> publish(String channel, String event, byte[] data) {
    return publish(channel, event, data, null);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The key is looked up and remembered under the channel's lock, with the publication.
   */
  @Override
  public CompletableFuture<Message> publish(
      String channel, String event, byte[] data, String idempotencyKey) {
    return publish(channel, event, data, null, idempotencyKey);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The key is looked up and remembered under the channel's lock, with the publication.
   */
  @Override
  public CompletableFuture<Message> publish(
      String channel, String event, byte[] data, String contentType, String idempotencyKey) {
    while (true) {
      Entry e;
      try {
        e = entry(channel);
      } catch (ProtocolException refused) {
        return CompletableFuture.failedFuture(refused);
      }
      synchronized (e) {
        if (logs.get(channel) != e) {
          continue; // swept meanwhile; use the new entry
        }
        long now = System.currentTimeMillis();
        if (idempotencyKey != null) {
          IdempotencyCache.Published first = idempotency.find(channel, idempotencyKey, now);
          if (first != null) {
            return CompletableFuture.completedFuture(
                Message.create(
                    channel,
                    first.epoch(),
                    first.offset(),
                    event,
                    data,
                    contentType,
                    first.time()));
          }
        }
        ChannelLog log = e.log;
        Message m =
            Message.create(
                log.channel(), // the name held once per channel, not the caller's copy
                log.epoch(),
                log.head() + 1,
                event,
                data,
                contentType,
                System.currentTimeMillis());
        log.append(m);
        if (idempotencyKey != null) {
          idempotency.remember(idempotencyKey, m, now);
        }
        BrokerListener l = listener;
        if (e.subscribed && l != null) {
          l.onMessage(m);
        }
        return CompletableFuture.completedFuture(m);
      }
    }
  }

  @Override
  public CompletableFuture<History> subscribe(String channel) {
    while (true) {
      Entry e;
      try {
        e = entry(channel);
      } catch (ProtocolException refused) {
        return CompletableFuture.failedFuture(refused);
      }
      synchronized (e) {
        if (logs.get(channel) != e) {
          continue;
        }
        e.subscribed = true;
        return CompletableFuture.completedFuture(snapshot(e.log, 0));
      }
    }
  }

  @Override
  public CompletableFuture<Void> unsubscribe(String channel) {
    Entry e = logs.get(channel);
    if (e != null) {
      synchronized (e) {
        e.subscribed = false;
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<History> history(String channel, long afterOffset) {
    while (true) {
      Entry e;
      try {
        e = entry(channel);
      } catch (ProtocolException refused) {
        return CompletableFuture.failedFuture(refused);
      }
      synchronized (e) {
        if (logs.get(channel) != e) {
          continue;
        }
        return CompletableFuture.completedFuture(snapshot(e.log, afterOffset));
      }
    }
  }

  private static History snapshot(ChannelLog log, long afterOffset) {
    List<Message> out =
        new ArrayList<>(Math.max(0, (int) Math.min(log.size(), log.head() - afterOffset)));
    log.read(afterOffset, Integer.MAX_VALUE, out);
    return new History(log.epoch(), log.head(), out);
  }

  /** Drops expired messages, and channels that are empty and unsubscribed. */
  void sweep() {
    long now = System.currentTimeMillis();
    idempotency.expire(now);
    for (Iterator<Map.Entry<String, Entry>> it = logs.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Entry> me = it.next();
      Entry e = me.getValue();
      synchronized (e) {
        e.log.trim(now);
        if (!e.subscribed && e.log.size() == 0) {
          it.remove();
          channelCount.decrementAndGet();
          e.log.close();
        }
      }
    }
  }

  /** The node's history budget that this broker's logs share. */
  public HistoryBudget budget() {
    return budget;
  }

  /** How many channel logs exist now; for tests and metrics. */
  public int channelCount() {
    return logs.size();
  }

  @Override
  public boolean isAvailable() {
    return true;
  }

  private volatile BrokerNode.Announcer self;

  /** Remembers this node: the one node {@link #nodes()} answers. */
  @Override
  public void announce(String nodeId, java.util.function.Supplier<String> details) {
    self = new BrokerNode.Announcer(nodeId, details);
  }

  /** This node alone, once announced (nothing else shares a broker in memory). */
  @Override
  public CompletableFuture<List<BrokerNode>> nodes() {
    BrokerNode.Announcer a = self;
    return CompletableFuture.completedFuture(
        a == null
            ? List.of()
            : List.of(new BrokerNode(a.id(), a.details().get(), System.currentTimeMillis())));
  }

  @Override
  public String describe() {
    return "memory";
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
  }
}
