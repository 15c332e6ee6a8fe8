-- Publishes one message atomically: creates the epoch when missing, assigns the next offset and
-- the time, appends to the stream (capped by count and age), refreshes the keys' TTL and relays
-- the message on the channel's Pub/Sub channel.
-- KEYS: meta, stream, and optionally the idempotency key's string key.
-- ARGV: candidate epoch, event, data, max messages, max age ms, key TTL ms, Pub/Sub channel, and
-- with an idempotency key the window in ms.
-- Returns {epoch, offset, time, repeated}: repeated is 1 when the idempotency key was seen within
-- the window; then nothing is published and the answer is the first publication's.
-- Redis runs a script in isolation; on a consistent channel none of its commands can fail, so a
-- publication is either complete or (Redis unreachable) absent, and the key is checked and set in
-- the same step.
if KEYS[3] then
  local prev = redis.call('GET', KEYS[3])
  if prev then
    local e, o, t = string.match(prev, '^([^\n]*)\n(%d+)\n(%d+)$')
    if e then
      return {e, tonumber(o), tonumber(t), 1}
    end
  end
end
local epoch, head, last, trimAt = ensureEpoch(KEYS[1], KEYS[2], ARGV[1])
local offset = head + 1
local now = clock(last)
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], id(offset), 'e', ARGV[2], 'd', ARGV[3], 't', string.format('%d', now))
trimAt = trimAgeIfDue(KEYS[2], now, tonumber(ARGV[5]), trimAt)
redis.call('HSET', KEYS[1], 'head', string.format('%d', offset), 'time', string.format('%d', now),
  'trim', string.format('%d', trimAt))
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call('PUBLISH', ARGV[7],
  epoch .. '\n' .. string.format('%d', offset) .. '\n' .. string.format('%d', now) .. '\n' .. ARGV[2] .. '\n' .. ARGV[3])
if KEYS[3] then
  redis.call('SET', KEYS[3], epoch .. '\n' .. string.format('%d', offset) .. '\n' .. string.format('%d', now), 'PX', ARGV[8])
end
return {epoch, offset, now, 0}
