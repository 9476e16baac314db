-- Take a slot of the shared window for one request, in its lane, or say how long to wait.
-- Returns {1, now, peers, ours, seq, slots in use} for a grant, or
-- {0, seconds to wait (-1: poll), peers, cool-down seconds left, slots in use}.
--
-- KEYS: slots, foreign, cooldown, limit, seq, resume, peers, held:interactive, held:normal,
--       held:bulk, queue:interactive, queue:normal, queue:bulk, alive
-- ARGV: permit id, default limit, follow (1/0), lease, per, force (1/0), process id,
--       key ttl ms, lane (0 interactive, 1 normal, 2 bulk), reserve share, ticket grace,
--       poll seconds
--
-- Every slot in use is mirrored in its lane's held:<lane> set. Waiting requests hold a
-- ticket (the permit id) in their lane's queue, scored by arrival; a ticket whose process
-- stops asking (it crashed, or gave up) is dropped once its `alive` score passes. The free
-- slots go to the tickets in the order of next_lane() in _ratelimit.py: the highest lane
-- first, bulk never above limit - reserve, and while bulk waits the lanes above it
-- never above limit - max(reserve, 1) (bulk's floor).
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local per = tonumber(ARGV[5])
local id = ARGV[1]
local lane = tonumber(ARGV[9])
local helds = {KEYS[8], KEYS[9], KEYS[10]}
local queues = {KEYS[11], KEYS[12], KEYS[13]}
local alive = KEYS[14]
local ttl = ARGV[8]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
for _, held in ipairs(helds) do redis.call('ZREMRANGEBYSCORE', held, '-inf', now) end
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now)
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', alive, '-inf', now)) do
  for _, queue in ipairs(queues) do redis.call('ZREM', queue, dead) end
end
redis.call('ZREMRANGEBYSCORE', alive, '-inf', now)
redis.call('ZADD', KEYS[7], now + 2 * per, ARGV[7])
redis.call('PEXPIRE', KEYS[7], ttl)
local peers = redis.call('ZCARD', KEYS[7])

local function grant()
  local lease = now + tonumber(ARGV[4])
  redis.call('ZADD', KEYS[1], lease, id)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('ZADD', helds[lane + 1], lease, id)
  redis.call('PEXPIRE', helds[lane + 1], ttl)
  redis.call('ZREM', queues[lane + 1], id)
  redis.call('ZREM', alive, id)
  local seq = redis.call('INCR', KEYS[5])
  redis.call('PEXPIRE', KEYS[5], ttl)
  local n = redis.call('ZCARD', KEYS[1])
  local ours = n - redis.call('ZCARD', KEYS[2])
  return {1, string.format('%.6f', now), peers, ours, seq, n}
end

if ARGV[6] == '1' then return grant() end

redis.call('ZADD', queues[lane + 1], 'NX', now, id)
-- The shared 429 cool-down's seconds left go back too: the caller's max_wait bounds them.
local cooldown = tonumber(redis.call('GET', KEYS[3]) or '0')
local function wait(seconds, n)
  redis.call('ZADD', alive, now + math.max(seconds, 0) + tonumber(ARGV[11]), id)
  for _, queue in ipairs(queues) do redis.call('PEXPIRE', queue, ttl) end
  redis.call('PEXPIRE', alive, ttl)
  return {0, string.format('%.6f', seconds), peers,
          string.format('%.6f', math.max(cooldown - now, 0)), n}
end

local gate = math.max(cooldown, tonumber(redis.call('GET', KEYS[6]) or '0'))
local n = redis.call('ZCARD', KEYS[1])
if gate > now then return wait(gate - now, n) end
local limit = tonumber(ARGV[2])
if ARGV[3] == '1' then limit = tonumber(redis.call('GET', KEYS[4]) or ARGV[2]) end
if n >= limit then
  local e = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
  local free_at = tonumber(e[2])
  if free_at <= now + per + 1 then return wait(free_at - now, n) end
  return wait(-1, n)  -- only leases in flight: poll
end

-- Replay the policy over the queues for the free slots; grant if our ticket is among them.
local share = tonumber(ARGV[10])
local reserve = 0
if share > 0 and limit >= 2 then
  reserve = math.min(limit - 1, math.ceil(limit * share - 1e-9))
end
local floor = math.max(reserve, 1)
local held = {}
local queued = {}
for r = 1, 3 do
  held[r] = redis.call('ZCARD', helds[r])
  queued[r] = redis.call('ZCARD', queues[r])
end
local taken = {0, 0, 0}

local function eligible(r)
  if taken[r] >= queued[r] then return false end
  if r == 3 then return held[3] < limit - reserve end
  -- while bulk waits, the lanes above it keep to limit - floor (bulk's floor)
  return taken[3] >= queued[3] or held[1] + held[2] < limit - floor
end

for _ = 1, limit - n do
  local pick = nil
  for r = 1, 3 do
    if eligible(r) then pick = r break end
  end
  if pick == nil then break end
  local head = redis.call('ZRANGE', queues[pick], taken[pick], taken[pick])
  if head[1] == id then return grant() end
  taken[pick] = taken[pick] + 1
  held[pick] = held[pick] + 1
end
if lane == 2 and held[3] >= limit - reserve then
  -- Bulk holds its share: wait until one of its slots frees (or poll for a lease).
  local e = redis.call('ZRANGE', helds[3], 0, 0, 'WITHSCORES')
  if e[2] ~= nil and tonumber(e[2]) <= now + per + 1 then
    return wait(tonumber(e[2]) - now, n)
  end
  return wait(-1, n)
end
return wait(tonumber(ARGV[12]), n)
