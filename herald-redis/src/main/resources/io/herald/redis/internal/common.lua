-- Shared helpers of the Herald Redis scripts (prepended to each script).
-- Layout of one channel (see RedisKeys): KEYS[1] = meta hash {epoch, head, time},
-- KEYS[2] = stream whose entry IDs are "<offset>-0" with fields e (event), d (data), t (time in ms).

-- Redis's clock in milliseconds, never before `last` (so a channel's times never go back).
local function clock(last)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if last and now < last then
    now = last
  end
  return now
end

local function entryTime(entry)
  local f = entry[2]
  for i = 1, #f, 2 do
    if f[i] == 't' then
      return tonumber(f[i + 1])
    end
  end
  return 0
end

local function entryOffset(id)
  return tonumber(string.match(id, '^(%d+)-'))
end

local function id(offset)
  return string.format('%d-0', offset)
end

-- Drops the stream's entries older than `cutoff` (ms) and answers the time of the oldest entry left
-- (nil when none is left). Times ascend with offsets, so the first entry still young enough is
-- found by binary search over the IDs: O(log n) XRANGE calls.
local function trimAge(stream, cutoff)
  local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)
  if #first == 0 then
    return nil
  end
  local firstTime = entryTime(first[1])
  if firstTime >= cutoff then
    return firstTime
  end
  local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
  local lastTime = entryTime(last[1])
  if lastTime < cutoff then
    redis.call('XTRIM', stream, 'MAXLEN', 0)
    return nil
  end
  -- every entry with offset <= lo has expired; every entry with offset >= hi has not
  local lo = entryOffset(first[1][1])
  local hi = entryOffset(last[1][1])
  local hiTime = lastTime
  while hi - lo > 1 do
    local mid = math.floor((lo + hi) / 2)
    local e = redis.call('XRANGE', stream, id(mid), '+', 'COUNT', 1)[1]
    local t = entryTime(e)
    if t >= cutoff then
      hi = mid
      hiTime = t
    else
      lo = entryOffset(e[1])
    end
  end
  redis.call('XTRIM', stream, 'MINID', id(hi))
  return hiTime
end

-- Trims by age only when the oldest entry may have expired: meta's `trim` holds the time (ms) from
-- which that can be (the oldest entry's time plus the age; size trimming only makes it later), so
-- most calls cost no stream read. Answers the new `trim` value.
local function trimAgeIfDue(stream, now, maxAge, trimAt)
  if now < trimAt then
    return trimAt
  end
  local oldest = trimAge(stream, now - maxAge)
  return (oldest or now) + maxAge
end

-- The channel's meta {epoch, head, time, trim}, created with the candidate epoch when missing. A
-- new epoch drops any stream left from an older one, so stream IDs restart at 1.
local function ensureEpoch(meta, stream, candidate)
  local m = redis.call('HMGET', meta, 'epoch', 'head', 'time', 'trim')
  if m[1] then
    return m[1], tonumber(m[2]), tonumber(m[3] or '0'), tonumber(m[4] or '0')
  end
  redis.call('DEL', stream)
  redis.call('HSET', meta, 'epoch', candidate, 'head', '0', 'time', '0', 'trim', '0')
  return candidate, 0, 0, 0
end
