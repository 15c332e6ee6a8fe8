/**
 * Internals of the Redis broker: key names, the Lua scripts that keep each channel's offsets, epoch
 * and stream consistent, and the Pub/Sub payload. Not a public API.
 *
 * <p>Data model of one channel {@code C} (Redis 6.2 or later; keys carry the hash tag {@code {C}}
 * so that Redis Cluster keeps a channel on one shard):
 *
 * <ul>
 *   <li>{@code herald:{C}:meta}: a hash {@code epoch}, {@code head} (last offset), {@code time}
 *       (time of the last publication, ms), {@code trim} (time from which the oldest entry may have
 *       expired, ms: age trimming reads the stream only from then on);
 *   <li>{@code herald:{C}:stream}: a stream with entry IDs {@code <offset>-0} and fields {@code e}
 *       (event), {@code d} (data), {@code t} (time, ms); capped by {@code MAXLEN} and trimmed by
 *       age with {@code XTRIM MINID} after a binary search on {@code t};
 *   <li>{@code herald:{C}:live}: the Pub/Sub channel, payload {@code
 *       epoch\noffset\ntime\nevent\ndata}.
 * </ul>
 */
package io.herald.redis.internal;
