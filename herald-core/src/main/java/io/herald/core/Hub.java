package io.herald.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's view of the channels its clients use: a local {@link ChannelLog} per active channel,
 * kept current from the {@link Broker}, and the {@link Subscription}s (cursors) reading them.
 * Transports only talk to the hub.
 *
 * <p>A channel becomes active on this node when a subscription opens on it: the hub subscribes to
 * it in the broker and copies its retained history. It stays active while subscriptions are open
 * and for {@code idleTimeout} after the last one closes, so polls find it warm. Live messages with
 * a hole before them are held back while the hole is filled from the broker's history; when the
 * history no longer has them the local log skips ahead and subscribers get a gap notice.
 *
 * <p>Bounds: local logs keep what the channel's {@link HistoryConfig} allows and share the node's
 * {@link HistoryBudget} (with the in-memory broker's logs, when that is the broker), and at most
 * {@code maxActiveChannels} channels are active here: a subscription to one more fails with {@link
 * ProtocolException} {@code over_capacity}. Channels with no subscriptions leave after {@code
 * idleTimeout}.
 *
 * <p>Thread-safe.
 */
public final class Hub implements BrokerListener, AutoCloseable {
  static final Logger LOG = LoggerFactory.getLogger(Hub.class);

  /** Default time a channel with no subscriptions stays active on this node. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

  private final Broker broker;
  private final Function<String, HistoryConfig> historyOf;
  private final long idleTimeoutMillis;
  private final HistoryBudget budget;
  private final int maxActiveChannels;
  private final AtomicInteger channelCount = new AtomicInteger();
  private final Map<String, HubChannel> channels = new ConcurrentHashMap<>();
  private final ScheduledExecutorService sweeper;
  private final long sweepIntervalMillis;
  private volatile HubObserver observer = HubObserver.NONE;

  /**
   * A hub over {@code broker}; call {@link #start()} before use.
   *
   * @param history how much history local logs keep; the same as the broker's
   * @param idleTimeout how long a channel without subscriptions stays active, 0 or more
   */
  public Hub(Broker broker, HistoryConfig history, Duration idleTimeout) {
    this(broker, history, idleTimeout, HistoryBudget.UNLIMITED, Integer.MAX_VALUE);
  }

  /**
   * A hub over {@code broker} for a server node; call {@link #start()} before use.
   *
   * @param history how much history local logs keep; the same as the broker's
   * @param idleTimeout how long a channel without subscriptions stays active, 0 or more
   * @param budget the node's bound on history bytes; the same instance as the in-memory broker's
   * @param maxActiveChannels the most channels active on this node at once, 1 or more
   */
  public Hub(
      Broker broker,
      HistoryConfig history,
      Duration idleTimeout,
      HistoryBudget budget,
      int maxActiveChannels) {
    this(broker, history, idleTimeout, Duration.ofSeconds(1), budget, maxActiveChannels);
  }

  /**
   * A hub over {@code broker} for a server node whose channels keep different history (the
   * namespaces of PROTOCOL.md section 10); call {@link #start()} before use.
   *
   * @param historyOf how much history the local log of a channel keeps, by channel name; the same
   *     as the broker's. Called once each time a channel's local log is made (on activation and on
   *     an epoch change), from any thread; it must be fast, must not block, and must not fail.
   * @param idleTimeout how long a channel without subscriptions stays active, 0 or more
   * @param budget the node's bound on history bytes; the same instance as the in-memory broker's
   * @param maxActiveChannels the most channels active on this node at once, 1 or more
   */
  public Hub(
      Broker broker,
      Function<String, HistoryConfig> historyOf,
      Duration idleTimeout,
      HistoryBudget budget,
      int maxActiveChannels) {
    this(broker, historyOf, idleTimeout, Duration.ofSeconds(1), budget, maxActiveChannels);
  }

  /**
   * A hub over {@code broker} whose sweep (age trimming, fill retries, idle deactivation) runs
   * every {@code sweepInterval}; for tests, which need not wait a second. Call {@link #start()}
   * before use.
   *
   * @param sweepInterval 1 millisecond or more
   */
  Hub(Broker broker, HistoryConfig history, Duration idleTimeout, Duration sweepInterval) {
    this(broker, history, idleTimeout, sweepInterval, HistoryBudget.UNLIMITED, Integer.MAX_VALUE);
  }

  Hub(
      Broker broker,
      HistoryConfig history,
      Duration idleTimeout,
      Duration sweepInterval,
      HistoryBudget budget,
      int maxActiveChannels) {
    this(
        broker,
        uniform(Objects.requireNonNull(history, "history")),
        idleTimeout,
        sweepInterval,
        budget,
        maxActiveChannels);
  }

  Hub(
      Broker broker,
      Function<String, HistoryConfig> historyOf,
      Duration idleTimeout,
      Duration sweepInterval,
      HistoryBudget budget,
      int maxActiveChannels) {
    if (maxActiveChannels < 1) {
      throw new IllegalArgumentException(
          "max active channels must be 1 or more, got " + maxActiveChannels);
    }
    this.budget = Objects.requireNonNull(budget, "budget");
    this.maxActiveChannels = maxActiveChannels;
    this.sweepIntervalMillis = Math.max(1, sweepInterval.toMillis());
    this.broker = Objects.requireNonNull(broker, "broker");
    this.historyOf = Objects.requireNonNull(historyOf, "historyOf");
    this.idleTimeoutMillis = idleTimeout.toMillis();
    this.sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "herald-hub-sweeper");
              t.setDaemon(true);
              return t;
            });
  }

  private static Function<String, HistoryConfig> uniform(HistoryConfig history) {
    return channel -> history;
  }

  /** Starts the broker with this hub as its listener, and the sweep (every second by default). */
  public void start() {
    broker.start(this);
    sweeper.scheduleWithFixedDelay(
        this::sweepOrFail, sweepIntervalMillis, sweepIntervalMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * A scheduled task's error would only end the task, silently: an {@link Error} (out of memory)
   * goes to the thread's uncaught-exception handler, which the server makes end the process.
   */
  private void sweepOrFail() {
    try {
      sweep();
    } catch (Error e) {
      Thread t = Thread.currentThread();
      t.getUncaughtExceptionHandler().uncaughtException(t, e);
      throw e;
    }
  }

  /** The broker beneath. */
  public Broker broker() {
    return broker;
  }

  /**
   * Publishes through the broker. Returns immediately.
   *
   * @param channel a valid channel name
   * @param event a valid event name
   * @param data one JSON value, checked and within the size limit
   * @return the published message; fails with {@link BrokerUnavailableException} when nothing was
   *     published
   */
  public CompletableFuture<Message> publish(String channel, String event, byte[] data) {
    return broker.publish(channel, event, data);
  }

  /**
   * Publishes through the broker at most once per idempotency key; see {@link
   * Broker#publish(String, String, byte[], String)}. Returns immediately.
   *
   * @param idempotencyKey a key checked by {@link IdempotencyKeys#check}, or {@code null}
   * @return the published message, or the first publication's when the key was seen; fails with
   *     {@link BrokerUnavailableException} when nothing was published, {@link
   *     PublishOutcomeUnknownException} when the broker cannot tell
   */
  public CompletableFuture<Message> publish(
      String channel, String event, byte[] data, String idempotencyKey) {
    return broker.publish(channel, event, data, idempotencyKey);
  }

  /**
   * Publishes JSON data ({@code contentType} null) or a binary message's raw bytes through the
   * broker; see {@link Broker#publish(String, String, byte[], String, String)}. Returns
   * immediately.
   */
  public CompletableFuture<Message> publish(
      String channel, String event, byte[] data, String contentType, String idempotencyKey) {
    return broker.publish(channel, event, data, contentType, idempotencyKey);
  }

  /**
   * Opens a cursor on {@code channel} at {@code since} (PROTOCOL.md section 4): right after it when
   * recovered, at the head otherwise or when {@code since} is {@code null}. Returns immediately;
   * the future completes at once when the channel is active here and {@code since} is at or behind
   * the local head, or else once the broker has answered.
   *
   * <p>The position is judged against the broker's log, not only this node's copy of it, which may
   * lag (Redis Pub/Sub delivers after the publisher has its answer): a position of the local epoch
   * ahead of the local head, or of another epoch, makes the hub read the broker's history after the
   * local head first, so a position the broker has handed out (on this node or another) resumes,
   * recovered. Only a position ahead of the broker's head, of an epoch that is not the broker's, or
   * behind what the history keeps is not recovered. The wait is bounded by the broker's own command
   * timeout; no thread blocks.
   *
   * @param since the position to resume after, or {@code null} for "from now"
   * @param executor where {@code listener} runs and the subscription is used
   * @param listener run on {@code executor} whenever the log may have grown (coalesced: one run may
   *     stand for many appends), or {@code null} for a cursor that is only read (a poll)
   * @return the subscription, which the caller must close; fails with {@link
   *     BrokerUnavailableException} when the channel cannot be activated, or when {@code since} is
   *     ahead of the local log and the broker's history cannot be read to judge it, and with {@link
   *     ProtocolException} {@code over_capacity} when the channel is not active here and {@code
   *     maxActiveChannels} are (or the broker holds its limit of channels)
   */
  public CompletableFuture<Subscription> subscribe(
      String channel, Position since, Executor executor, Runnable listener) {
    HubChannel hc;
    while (true) {
      try {
        hc = channel(channel);
      } catch (ProtocolException refused) {
        return CompletableFuture.failedFuture(refused);
      }
      boolean activate;
      synchronized (hc) {
        if (hc.dead) {
          // Being deactivated: subscribe in the broker again only once its unsubscribe is done, so
          // that a late unsubscribe cannot stop the live delivery of the new activation.
          return hc.gone.thenCompose(v -> subscribe(channel, since, executor, listener));
        }
        hc.refs++;
        activate = !hc.started;
        hc.started = true;
      }
      if (activate) {
        activate(hc);
      }
      break;
    }
    HubChannel acquired = hc;
    return hc.ready
        .thenCompose(ready -> catchUp(acquired, since))
        .handle(
            (ready, error) -> {
              if (error != null) {
                release(acquired);
                throw error instanceof CompletionException ce ? ce : new CompletionException(error);
              }
              return new Subscription(this, acquired, since, executor, listener);
            });
  }

  /**
   * The channel's state, created when missing.
   *
   * @throws ProtocolException {@code over_capacity} past {@code maxActiveChannels}
   */
  private HubChannel channel(String name) {
    HubChannel hc = channels.get(name);
    if (hc != null) {
      return hc;
    }
    return channels.computeIfAbsent(
        name,
        n -> {
          if (channelCount.incrementAndGet() > maxActiveChannels) {
            channelCount.decrementAndGet();
            throw MemoryBroker.overCapacity(maxActiveChannels);
          }
          return new HubChannel(n);
        });
  }

  /** Forgets a channel that is no longer active, and the history its local log held. */
  private void forget(HubChannel hc) {
    if (channels.remove(hc.name(), hc)) {
      channelCount.decrementAndGet();
    }
    ChannelLog log;
    synchronized (hc) {
      log = hc.log();
    }
    if (log != null) {
      log.close();
    }
  }

  /**
   * Longest a new subscription waits for the broker's unsubscribe of the channel's last activation.
   */
  private static final long UNSUBSCRIBE_WAIT_MILLIS = 5_000;

  /**
   * Unsubscribes a channel marked dead in the broker, and only then forgets it, so a new activation
   * of the same name subscribes after this unsubscribe (waiting at most {@value
   * #UNSUBSCRIBE_WAIT_MILLIS} ms for a broker that does not answer).
   */
  private void deactivate(HubChannel hc) {
    CompletableFuture<Void> done;
    try {
      done =
          broker
              .unsubscribe(hc.name())
              .copy()
              .orTimeout(UNSUBSCRIBE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      done = CompletableFuture.failedFuture(e);
    }
    done.whenComplete(
        (v, error) -> {
          if (error != null) {
            LOG.warn(
                "cannot unsubscribe {} in the broker: {}", hc.name(), unwrap(error).getMessage());
          }
          forget(hc);
          hc.gone.complete(null);
        });
  }

  private void activate(HubChannel hc) {
    broker
        .subscribe(hc.name())
        .whenComplete(
            (h, error) -> {
              if (error != null) {
                synchronized (hc) {
                  hc.dead = true;
                }
                // Forget it at once so that the next subscription tries again (and fails fast while
                // the
                // broker is down); the unsubscribe is best effort.
                forget(hc);
                hc.gone.complete(null);
                hc.ready.completeExceptionally(unwrap(error));
                broker.unsubscribe(hc.name());
                return;
              }
              boolean refill;
              synchronized (hc) {
                refill = apply(hc, h);
              }
              hc.ready.complete(hc);
              hc.signal();
              if (refill) {
                resync(hc.name());
              }
            });
  }

  void release(HubChannel hc) {
    synchronized (hc) {
      hc.refs--;
      if (hc.refs == 0) {
        hc.idleSince = System.currentTimeMillis();
      }
    }
  }

  /**
   * Reports gaps, unrecovered positions and live messages to {@code observer} from now on (for
   * metrics); {@link HubObserver#NONE} by default. Any thread.
   */
  public void observer(HubObserver observer) {
    this.observer = Objects.requireNonNull(observer, "observer");
  }

  /** The observer in force. */
  HubObserver observer() {
    return observer;
  }

  @Override
  public void onMessage(Message m) {
    observer.received(m, System.currentTimeMillis());
    HubChannel hc = channels.get(m.channel());
    if (hc == null) {
      return;
    }
    boolean appended = false;
    boolean fill = false;
    synchronized (hc) {
      ChannelLog log = hc.log();
      if (log == null || hc.filling) {
        hc.pending.add(m);
      } else if (!m.epoch().equals(log.epoch())) {
        hc.pending.add(m);
        fill = true;
      } else if (m.offset() == log.head() + 1) {
        log.append(m);
        appended = true;
      } else if (m.offset() > log.head() + 1) {
        hc.pending.add(m);
        fill = true;
      }
    }
    if (appended) {
      hc.signal();
    }
    if (fill) {
      resync(m.channel());
    }
  }

  @Override
  public void onResync(String channel) {
    resync(channel);
  }

  private void resync(String channel) {
    HubChannel hc = channels.get(channel);
    if (hc != null) {
      fill(hc);
    }
  }

  /**
   * Waits until the local log has caught up with {@code since}, when it may lag the broker's
   * (PROTOCOL.md section 4): a position of the local epoch ahead of the local head, or a position
   * of another epoch, was perhaps published already (on another node, or on this one before its
   * live copy arrived). Then the local log is filled from the broker's history, read after this
   * request arrived, so it holds every message the broker had when the position was handed out; the
   * {@link Subscription} judges the position against that. A position the local log already holds
   * costs nothing. Returns immediately.
   *
   * @return completes once the log is current enough; fails with {@link BrokerUnavailableException}
   *     when the broker's history cannot be read (within the broker's own command timeout), since
   *     the position can then be judged neither valid nor invalid
   */
  private CompletableFuture<Void> catchUp(HubChannel hc, Position since) {
    if (since == null) {
      return CompletableFuture.completedFuture(null);
    }
    ChannelLog log = hc.log();
    boolean sameEpoch = since.epoch() == null || since.epoch().equals(log.epoch());
    if (sameEpoch && since.offset() <= log.head()) {
      return CompletableFuture.completedFuture(null);
    }
    return fill(hc);
  }

  /**
   * Reads the broker's history after the local head and applies it: fills holes before pending live
   * messages, catches up a log whose live copy lags, and follows an epoch change. One read at a
   * time per channel; a call while one is under way asks for another pass after it.
   *
   * @return completes after a pass that started after this call was applied; fails with the
   *     broker's error when that pass could not read the history (the sweep retries while live
   *     messages are pending)
   */
  private CompletableFuture<Void> fill(HubChannel hc) {
    CompletableFuture<Void> pass;
    long after;
    synchronized (hc) {
      if (hc.log() == null) {
        return CompletableFuture.completedFuture(null); // activation will read the history
      }
      if (hc.filling) {
        hc.refillWanted = true;
        if (hc.nextFill == null) {
          hc.nextFill = new CompletableFuture<>();
        }
        return hc.nextFill;
      }
      hc.filling = true;
      pass = hc.nextFill != null ? hc.nextFill : new CompletableFuture<>();
      hc.nextFill = null;
      after = hc.log().head();
    }
    CompletableFuture<History> read;
    try {
      read = broker.history(hc.name(), after);
    } catch (RuntimeException e) {
      read = CompletableFuture.failedFuture(e);
    }
    read.whenComplete(
        (h, error) -> {
          boolean again = false;
          CompletableFuture<Void> waiting = null;
          synchronized (hc) {
            hc.filling = false;
            if (error != null) {
              hc.refillWanted = false;
              waiting = hc.nextFill;
              hc.nextFill = null;
            } else {
              again = apply(hc, h) || hc.refillWanted;
              hc.refillWanted = false;
            }
          }
          if (error != null) {
            Throwable cause = unwrap(error);
            boolean holes;
            synchronized (hc) {
              holes = !hc.pending.isEmpty();
            }
            if (holes) {
              LOG.warn(
                  "cannot read the history of {} to fill a hole: {}; retrying",
                  hc.name(),
                  cause.getMessage());
            } else {
              // only a resume position was to be judged: its request fails with 503, the log waits
              LOG.debug("cannot read the history of {}: {}", hc.name(), cause.getMessage());
            }
            pass.completeExceptionally(cause);
            if (waiting != null) {
              waiting.completeExceptionally(cause);
            }
            return; // the sweep retries while messages are pending
          }
          hc.signal();
          pass.complete(null);
          if (again) {
            fill(hc);
          }
        });
    return pass;
  }

  /**
   * Brings the local log up to {@code h} and then appends pending live messages. Caller holds the
   * lock of {@code hc}.
   *
   * @return whether a hole remains before a pending message, so the history must be read again
   */
  private boolean apply(HubChannel hc, History h) {
    ChannelLog log = hc.log();
    if (log == null || !log.epoch().equals(h.epoch())) {
      long base = h.messages().isEmpty() ? h.head() : h.messages().get(0).offset() - 1;
      if (log != null) {
        LOG.info(
            "channel {} changed epoch from {} to {}: its history was lost",
            hc.name(),
            log.epoch(),
            h.epoch());
      }
      ChannelLog old = log;
      log = new ChannelLog(hc.name(), h.epoch(), base, historyOf.apply(hc.name()), budget);
      hc.setLog(log);
      if (old != null) {
        old.close(); // subscribers move to the new log; the old one holds nothing more
      }
    }
    for (Message m : h.messages()) {
      appendOrSkip(log, m);
    }
    if (log.head() < h.head()) {
      log.skipTo(h.head()); // retained no longer: subscribers behind get a gap
    }
    boolean hole = false;
    if (!hc.pending.isEmpty()) {
      hc.pending.sort(Comparator.comparingLong(Message::offset));
      List<Message> keep = new ArrayList<>();
      for (Message m : hc.pending) {
        if (!m.epoch().equals(log.epoch())) {
          hole = true; // another epoch than the history just read: read it again to learn which is
          // current
        } else if (m.offset() == log.head() + 1) {
          log.append(m);
        } else if (m.offset() > log.head() + 1) {
          keep.add(m);
          hole = true;
        }
      }
      hc.pending.clear();
      hc.pending.addAll(keep);
    }
    return hole;
  }

  private static void appendOrSkip(ChannelLog log, Message m) {
    if (m.offset() <= log.head()) {
      return;
    }
    if (m.offset() > log.head() + 1) {
      log.skipTo(m.offset() - 1);
    }
    log.append(m);
  }

  /** Trims local logs by age, retries fills, and deactivates channels idle past the timeout. */
  void sweep() {
    long now = System.currentTimeMillis();
    for (Iterator<HubChannel> it = channels.values().iterator(); it.hasNext(); ) {
      HubChannel hc = it.next();
      boolean drop = false;
      boolean retry = false;
      synchronized (hc) {
        if (hc.log() == null || hc.dead) {
          continue;
        }
        hc.log().trim(now);
        if (hc.refs == 0 && now - hc.idleSince >= idleTimeoutMillis) {
          hc.dead = true;
          drop = true;
        }
        retry = !hc.pending.isEmpty() && !hc.filling;
      }
      if (drop) {
        deactivate(hc);
      } else if (retry) {
        resync(hc.name());
      }
    }
  }

  /** The node's history budget that the local logs share. */
  public HistoryBudget budget() {
    return budget;
  }

  /** How many channels are active on this node. */
  public int activeChannels() {
    return channels.size();
  }

  /** How many streaming subscriptions (with a listener) are open on this node. */
  public int subscriberCount() {
    int n = 0;
    for (HubChannel hc : channels.values()) {
      n += hc.subscriberCount();
    }
    return n;
  }

  /**
   * What this node holds of one channel now, for the admin page's inspector.
   *
   * @param epoch the local log's epoch
   * @param head the local log's head offset, 0 when none was published in this epoch
   * @param messages messages retained in the local log
   * @param bytes bytes retained in the local log, as {@link Message#retainedBytes()} summed
   * @param subscribers streaming subscriptions (SSE, WebSocket) open on it on this node
   */
  public record ChannelStats(String epoch, long head, int messages, long bytes, int subscribers) {}

  /**
   * What this node holds of {@code channel}, or {@code null} when it is not active here (or its
   * history is still being copied). Cheap: reads the local log's counters; never blocks.
   */
  public ChannelStats channelStats(String channel) {
    HubChannel hc = channels.get(channel);
    ChannelLog log = hc == null ? null : hc.log();
    if (log == null) {
      return null;
    }
    return new ChannelStats(log.epoch(), log.head(), log.size(), log.bytes(), hc.subscriberCount());
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** Stops the sweep and closes the broker. */
  @Override
  public void close() {
    sweeper.shutdownNow();
    broker.close();
  }
}
