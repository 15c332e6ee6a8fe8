-- The nodes that announced themselves within the TTL: {id, last announcement ms, details, ...}.
-- Forgets the others on the way.
-- KEYS: nodes sorted set, node details hash. ARGV: TTL ms.
local now = clock(nil)
local ttl = tonumber(ARGV[1])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
for i = 1, #gone do
  redis.call('HDEL', KEYS[2], gone[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
local live = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local out = {}
for i = 1, #live, 2 do
  out[#out + 1] = live[i]
  out[#out + 1] = tonumber(live[i + 1])
  out[#out + 1] = redis.call('HGET', KEYS[2], live[i]) or '{}'
end
return out
