package io.herald.server.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herald.core.Hub;
import io.herald.core.Json;
import io.herald.core.Message;
import io.herald.core.Names;
import io.herald.core.ProtocolException;
import io.herald.core.Subscription;
import io.herald.server.ServerConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo feeds: price ticks on {@value #PRICES} and the answer streamer on {@value #QUESTIONS}.
 *
 * <p><b>Prices.</b> Every {@value #TICK_MILLIS} ms one of a few symbols takes a random-walk step
 * and is published to {@value #PRICES} as {@code {"sym":"BTC","px":42012.5,"chg":0.12}} ({@code
 * chg} is the change since the feed started, in percent).
 *
 * <p><b>Answers.</b> A question published to {@value #QUESTIONS} as {@code
 * {"id":"q1","question":"...","channel":"demo:answer:q1"}} is answered on the channel it names
 * (which must start with {@value #ANSWER_PREFIX}) token by token, one message per token, {@code
 * {"token":"word "}}, 30 to 110 ms apart, then {@code {"done":true,"tokens":N}}. At most {@value
 * #MAX_ACTIVE_ANSWERS} answers stream at once; further questions get a short refusal. Questions
 * that do not parse are ignored.
 *
 * <p>Threading: everything runs on one daemon scheduler thread; nothing blocks it (publications
 * complete asynchronously). Thread-safe to close from any thread.
 */
public final class DemoFeeds implements AutoCloseable {
  static final Logger LOG = LoggerFactory.getLogger(DemoFeeds.class);

  /** Channel of the price ticks. */
  public static final String PRICES = "demo:prices";

  /** Channel the answer streamer listens to. */
  public static final String QUESTIONS = "demo:questions";

  /** Every answer channel starts with this. */
  public static final String ANSWER_PREFIX = "demo:answer:";

  /** Interval between two price ticks, in milliseconds. */
  public static final int TICK_MILLIS = 250;

  /** Most answers streaming at once. */
  public static final int MAX_ACTIVE_ANSWERS = 20;

  private static final String[] SYMBOLS = {"BTC", "ETH", "AAPL", "MSFT", "EUR/USD", "GOLD"};
  private static final double[] START = {42000, 2250, 189.5, 378.2, 1.0875, 2031.4};
  private static final double[] STEP = {0.0012, 0.0015, 0.0008, 0.0007, 0.0002, 0.0004};

  private final Hub hub;
  private final ScheduledExecutorService scheduler;
  private final Random random = new Random();
  private final double[] prices = START.clone();
  private final AtomicInteger activeAnswers = new AtomicInteger();
  private final List<Message> batch = new ArrayList<>();
  private volatile Subscription questions;
  private volatile boolean closed;

  private DemoFeeds(Hub hub) {
    this.hub = hub;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "herald-demo-feeds");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts the feeds when {@code config.demoFeed()} is on; otherwise does nothing. Returns
   * immediately.
   *
   * @param hub the server's hub, started
   * @param config the server's settings
   * @return what stops the feeds; its {@code close()} never throws, is idempotent and returns once
   *     the scheduler has stopped (at most about a second)
   */
  public static AutoCloseable start(Hub hub, ServerConfig config) {
    if (!config.demoFeed()) {
      return () -> {};
    }
    DemoFeeds feeds = new DemoFeeds(hub);
    feeds.begin();
    return feeds;
  }

  private void begin() {
    scheduler.scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    hub.subscribe(QUESTIONS, null, scheduler, this::drainQuestions)
        .whenComplete(
            (sub, error) -> {
              if (error != null) {
                LOG.warn(
                    "demo answer streamer could not subscribe to {}: {}",
                    QUESTIONS,
                    unwrap(error).getMessage());
              } else if (closed) {
                sub.close();
              } else {
                questions = sub;
                scheduler.execute(this::drainQuestions);
              }
            });
    LOG.info("demo feeds on: price ticks on {}, answers to questions on {}", PRICES, QUESTIONS);
  }

  private void tick() {
    int i = random.nextInt(SYMBOLS.length);
    double step = prices[i] * STEP[i] * random.nextGaussian();
    // mean reversion keeps the walk near its start over a long demo
    step += (START[i] - prices[i]) * 0.002;
    prices[i] = Math.max(prices[i] + step, START[i] * 0.1);
    ObjectNode tick = Json.MAPPER.createObjectNode();
    tick.put("sym", SYMBOLS[i]);
    tick.put("px", round(prices[i], prices[i] < 10 ? 5 : 2));
    tick.put("chg", round((prices[i] / START[i] - 1) * 100, 3));
    publish(PRICES, tick);
  }

  private void drainQuestions() {
    Subscription sub = questions;
    if (sub == null || closed) {
      return;
    }
    batch.clear();
    sub.read(batch, 100);
    for (Message m : batch) {
      answer(m);
    }
    batch.clear();
    if (sub.hasMore()) {
      scheduler.execute(this::drainQuestions);
    }
  }

  private void answer(Message m) {
    JsonNode q;
    try {
      q = Json.MAPPER.readTree(m.data());
    } catch (IOException e) {
      return;
    }
    String channel = q.path("channel").asText("");
    String question = q.path("question").asText("");
    if (!channel.startsWith(ANSWER_PREFIX)) {
      return;
    }
    try {
      Names.channel(channel);
    } catch (ProtocolException e) {
      return;
    }
    List<String> tokens =
        activeAnswers.get() >= MAX_ACTIVE_ANSWERS
            ? tokenize(
                "The demo is answering many questions right now. Please ask again in a few seconds.")
            : tokenize(AnswerWriter.answer(question));
    activeAnswers.incrementAndGet();
    streamToken(channel, tokens, 0);
  }

  private void streamToken(String channel, List<String> tokens, int index) {
    if (closed) {
      return;
    }
    ObjectNode data = Json.MAPPER.createObjectNode();
    if (index == tokens.size()) {
      data.put("done", true);
      data.put("tokens", tokens.size());
      publish(channel, data);
      activeAnswers.decrementAndGet();
      return;
    }
    data.put("token", tokens.get(index));
    publish(channel, data);
    String t = tokens.get(index);
    long pause = 30 + random.nextInt(80) + (t.endsWith(". ") || t.endsWith(".\n\n") ? 180 : 0);
    scheduler.schedule(() -> streamToken(channel, tokens, index + 1), pause, TimeUnit.MILLISECONDS);
  }

  /**
   * Splits text into word tokens that keep their trailing white space, so joining them gives the
   * text back.
   */
  static List<String> tokenize(String text) {
    List<String> out = new ArrayList<>();
    int start = 0;
    int i = 0;
    while (i < text.length()) {
      while (i < text.length() && !Character.isWhitespace(text.charAt(i))) {
        i++;
      }
      while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
        i++;
      }
      out.add(text.substring(start, i));
      start = i;
    }
    return out;
  }

  private void publish(String channel, ObjectNode data) {
    byte[] bytes;
    try {
      bytes = Json.MAPPER.writeValueAsBytes(data);
    } catch (IOException e) {
      return;
    }
    hub.publish(channel, Names.DEFAULT_EVENT, bytes)
        .whenComplete(
            (m, error) -> {
              if (error != null && !closed) {
                LOG.debug(
                    "demo feed could not publish to {}: {}", channel, unwrap(error).getMessage());
              }
            });
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** Stops the feeds and waits (at most a second) for the scheduler to end. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Subscription sub = questions;
    if (sub != null) {
      sub.close();
    }
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Canned answers for the demo: a paragraph chosen by the question's keywords. */
  static final class AnswerWriter {
    private AnswerWriter() {}

    static String answer(String question) {
      String q = question.toLowerCase(Locale.ROOT);
      if (q.contains("websocket") || q.contains("web socket")) {
        return "WebSocket gives one full-duplex connection per browser. Herald multiplexes every "
            + "subscription over it: the client sends subscribe, unsubscribe, publish and ping commands "
            + "as JSON text frames, and the server pushes each message as its envelope with a type field. "
            + "It is the first rung of the ladder, because it costs the fewest bytes per message and can "
            + "publish without a new request.";
      }
      if (q.contains("sse") || q.contains("event-stream") || q.contains("server-sent")) {
        return "Server-Sent Events are a long-lived HTTP response of text events. Every event carries an "
            + "id, which is the cursor right after the message, so a reconnecting EventSource sends "
            + "Last-Event-ID and resumes exactly where it stopped. Proxies that buffer responses are its "
            + "main enemy; Herald sends a heartbeat comment so idle streams stay open.";
      }
      if (q.contains("poll")) {
        return "Polling keeps no state on the server: the cursor travels in every request. A short poll "
            + "answers at once; a long poll waits up to the given number of seconds for the next message. "
            + "Because any node can answer any poll, there are no sticky sessions, and polling works "
            + "through every proxy, which is why it is the last rung of the ladder.";
      }
      if (q.contains("gap")
          || q.contains("recover")
          || q.contains("resume")
          || q.contains("cursor")) {
        return "Every channel is a log with an epoch and consecutive offsets. A client remembers the last "
            + "position it saw and resumes after it, on any transport and any node. When the messages "
            + "after that position are no longer retained, or the epoch changed because history was lost, "
            + "the server says recovered false and continues from the head: never a silent hole.";
      }
      return "Herald delivers messages published to named channels over WebSocket, Server-Sent Events, "
          + "long polling and short polling. Each channel is an append-only log, and every transport is "
          + "just a cursor over it, so a client can switch transports or nodes and resume without losing "
          + "or repeating a message. This answer is streamed to you token by token over one channel, the "
          + "way an assistant's reply streams, and every token is an ordinary Herald message.";
    }
  }
}
