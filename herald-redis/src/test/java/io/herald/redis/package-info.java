/** Tests of the Redis broker against a real redis-server. */
package io.herald.redis;
