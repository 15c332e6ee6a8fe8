/**
 * The Redis broker: {@link io.herald.redis.RedisBroker}, an {@link io.herald.core.Broker} that lets
 * several Herald nodes share channels, offsets, epochs and history through one Redis (6.2 or
 * later), with Lettuce. Configured by {@link io.herald.redis.RedisBrokerConfig}. See {@code
 * /work/shared/PROTOCOL.md} sections 2 to 4 for the guarantees it upholds and the Redis Streams
 * documentation (https://redis.io/docs/latest/develop/data-types/streams/) for the storage it uses.
 */
package io.herald.redis;
