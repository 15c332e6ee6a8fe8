/**
 * Multi-node tests: several {@link io.herald.server.HeraldServer}s in one JVM sharing one real
 * redis-server ({@code io.herald.redis.RedisServerProcess} from herald-redis's test-jar), with real
 * clients on every transport (the JDK's HttpClient and WebSocket).
 */
package io.herald.server.cluster;
