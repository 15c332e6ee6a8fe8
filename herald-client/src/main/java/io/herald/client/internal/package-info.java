/**
 * Implementation of the Herald client: the per-transport subscriptions, the cursor tracker and the
 * Server-Sent Events parser (WHATWG HTML, "Server-sent events", section 9.2.6 "Interpreting an
 * event stream"). Not a public API: it may change without notice.
 */
package io.herald.client.internal;
