-- Reads a channel's retained history after an offset, creating the channel (a new epoch) when it
-- does not exist; drops expired entries first and refreshes the keys' TTL.
-- KEYS: meta, stream. ARGV: candidate epoch, after offset, max age ms, key TTL ms, the epoch the
-- offset belongs to ('' when unknown): when the channel has another epoch now, the offset means
-- nothing in it and every retained message is answered.
-- Returns {epoch, head, offset1, event1, data1, time1, offset2, ...} in offset order.
local epoch, head, last, trimAt = ensureEpoch(KEYS[1], KEYS[2], ARGV[1])
local now = clock(last)
local nextTrim = trimAgeIfDue(KEYS[2], now, tonumber(ARGV[3]), trimAt)
if nextTrim ~= trimAt then
  redis.call('HSET', KEYS[1], 'trim', string.format('%d', nextTrim))
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local out = {epoch, head}
local after = tonumber(ARGV[2])
if ARGV[5] ~= '' and ARGV[5] ~= epoch then
  after = 0
end
if head > after then
  local entries = redis.call('XRANGE', KEYS[2], id(after + 1), '+')
  for _, e in ipairs(entries) do
    local f = e[2]
    local ev, data, t = 'message', '', 0
    for i = 1, #f, 2 do
      if f[i] == 'e' then
        ev = f[i + 1]
      elseif f[i] == 'd' then
        data = f[i + 1]
      elseif f[i] == 't' then
        t = tonumber(f[i + 1])
      end
    end
    out[#out + 1] = entryOffset(e[1])
    out[#out + 1] = ev
    out[#out + 1] = data
    out[#out + 1] = t
  end
end
return out
