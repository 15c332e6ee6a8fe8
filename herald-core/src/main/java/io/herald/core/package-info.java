/**
 * Herald's core, with no HTTP and no Netty pipeline code: channel names and event names ({@link
 * io.herald.core.Names}), positions and cursors ({@link io.herald.core.Position}, {@link
 * io.herald.core.Cursor}), the encode-once envelope ({@link io.herald.core.Message}), the bounded
 * channel log ({@link io.herald.core.ChannelLog}), the hub of live subscribers ({@link
 * io.herald.core.Hub}, {@link io.herald.core.Subscription}), and the broker interface with its
 * in-memory implementation ({@link io.herald.core.Broker}, {@link io.herald.core.MemoryBroker}).
 * The hub reports gaps, unrecovered positions and Pub/Sub lag to a {@link
 * io.herald.core.HubObserver} (the server binds it to its metrics; the core has no metrics
 * library).
 *
 * <p>The wire contract these types implement is {@code PROTOCOL.md} (sections 1 to 4 and 8); the
 * architecture is {@code DESIGN.md}. Every {@link io.herald.core.Broker} implementation must pass
 * {@code BrokerContractTest}, shipped in this module's test-jar.
 */
package io.herald.core;
