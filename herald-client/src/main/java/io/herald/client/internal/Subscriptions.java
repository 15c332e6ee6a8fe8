package io.herald.client.internal;

import io.herald.client.HeraldSubscription;
import io.herald.client.SubscriptionListener;
import io.herald.core.Cursor;
import io.herald.core.Transport;
import java.util.List;

/** Opens a subscription of the requested transport. Thread-safe: stateless. */
public final class Subscriptions {
  private Subscriptions() {}

  /**
   * Opens a subscription and starts it; returns at once, before the server answered.
   *
   * @param settings the client's settings
   * @param transport the transport
   * @param channels valid, distinct channel names, 1 or more
   * @param since one position per channel, or {@code null} for "from now"
   * @param listener receives what arrives
   */
  public static HeraldSubscription open(
      ClientSettings settings,
      Transport transport,
      List<String> channels,
      Cursor since,
      SubscriptionListener listener) {
    AbstractSubscription s =
        switch (transport) {
          case WEBSOCKET -> new WebSocketSubscription(settings, channels, since, listener);
          case SSE -> new SseSubscription(settings, channels, since, listener);
          case LONG_POLL -> new PollSubscription(settings, true, channels, since, listener);
          case SHORT_POLL -> new PollSubscription(settings, false, channels, since, listener);
        };
    s.start();
    return s;
  }
}
