-- A node announces itself: its score in the sorted set is the time of its last announcement (by
-- Redis's clock), its details sit in the hash; nodes silent for longer than the TTL are forgotten.
-- Both keys expire with the TTL, so they vanish when every node has stopped.
-- KEYS: nodes sorted set, node details hash. ARGV: node id, details (JSON), TTL ms.
local now = clock(nil)
local ttl = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
for i = 1, #gone do
  redis.call('HDEL', KEYS[2], gone[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return {now}
