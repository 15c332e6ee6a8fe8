-- The head check of a subscribed channel: answers {epoch, head}, or {} when the channel's data is
-- gone, and refreshes the keys' TTL (a channel some node subscribes to does not expire).
-- KEYS: meta, stream. ARGV: key TTL ms.
local m = redis.call('HMGET', KEYS[1], 'epoch', 'head')
if not m[1] then
  return {}
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return {m[1], tonumber(m[2])}
