/**
 * Tests of the Redis broker against a real redis-server ({@link
 * io.herald.redis.RedisServerProcess}, also shipped in the test-jar for the server's multi-node
 * tests).
 */
package io.herald.redis;
