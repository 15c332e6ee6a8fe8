package io.herald.client.internal;

/**
 * One dispatched Server-Sent Event. Immutable.
 *
 * @param type the event type: the last {@code event:} field, or {@code message} when there was none
 * @param data the {@code data:} lines joined by {@code \n}, without the last line feed
 * @param lastEventId the last event ID buffer at dispatch (persists across events, as in a
 *     browser); empty when none was ever set
 */
public record SseEvent(String type, String data, String lastEventId) {}
