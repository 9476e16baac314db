-- Take a slot of the shared window for one request, in its lane, or say how long to wait.
--
-- KEYS: slots, foreign, cooldown, limit, seq, resume, peers, bulk, above, queue:interactive,
--       queue:normal, queue:bulk, alive
-- ARGV: permit id, default limit, follow (1/0), lease, per, force (1/0), process id,
--       key ttl ms, lane (0 interactive, 1 normal, 2 bulk), reserve share, ticket grace,
--       poll seconds
--
-- Waiting requests hold a ticket (the permit id) in their lane's queue, scored by arrival;
-- a ticket whose process stops asking (it crashed, or gave up) is dropped once its `alive`
-- score passes. The free slots go to the tickets in the order of next_lane() in
-- _ratelimit.py: bulk never holds more than limit - reserve slots; while the lanes above
-- bulk hold fewer than the reserve the highest lane goes first, beyond it arrival order.
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local per = tonumber(ARGV[5])
local id = ARGV[1]
local lane = tonumber(ARGV[9])
local queues = {KEYS[10], KEYS[11], KEYS[12]}
local ttl = ARGV[8]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now)
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', KEYS[13], '-inf', now)) do
  for _, queue in ipairs(queues) do redis.call('ZREM', queue, dead) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[13], '-inf', now)
redis.call('ZADD', KEYS[7], now + 2 * per, ARGV[7])
redis.call('PEXPIRE', KEYS[7], ttl)
local peers = redis.call('ZCARD', KEYS[7])

local function grant()
  local lease = now + tonumber(ARGV[4])
  redis.call('ZADD', KEYS[1], lease, id)
  redis.call('PEXPIRE', KEYS[1], ttl)
  local mirror = KEYS[9]
  if lane == 2 then mirror = KEYS[8] end
  redis.call('ZADD', mirror, lease, id)
  redis.call('PEXPIRE', mirror, ttl)
  redis.call('ZREM', queues[lane + 1], id)
  redis.call('ZREM', KEYS[13], id)
  local seq = redis.call('INCR', KEYS[5])
  redis.call('PEXPIRE', KEYS[5], ttl)
  local n = redis.call('ZCARD', KEYS[1])
  local ours = n - redis.call('ZCARD', KEYS[2])
  return {1, string.format('%.6f', now), peers, ours, seq, n}
end

if ARGV[6] == '1' then return grant() end

redis.call('ZADD', queues[lane + 1], 'NX', now, id)
local function wait(seconds, n)
  redis.call('ZADD', KEYS[13], now + math.max(seconds, 0) + tonumber(ARGV[11]), id)
  for _, queue in ipairs(queues) do redis.call('PEXPIRE', queue, ttl) end
  redis.call('PEXPIRE', KEYS[13], ttl)
  return {0, string.format('%.6f', seconds), peers, n}
end

local gate = math.max(tonumber(redis.call('GET', KEYS[3]) or '0'),
                      tonumber(redis.call('GET', KEYS[6]) or '0'))
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
local above = redis.call('ZCARD', KEYS[9])
local bulk = redis.call('ZCARD', KEYS[8])
local taken = {0, 0, 0}
for _ = 1, limit - n do
  local pick, pick_at, pick_id = nil, nil, nil
  for rank = 0, 2 do
    local head = redis.call('ZRANGE', queues[rank + 1], taken[rank + 1], taken[rank + 1],
                            'WITHSCORES')
    if head[1] ~= nil and (rank ~= 2 or bulk < limit - reserve) then
      local at = tonumber(head[2])
      if pick == nil or (above >= reserve and at < pick_at) then
        pick, pick_at, pick_id = rank, at, head[1]
      end
    end
  end
  if pick == nil then break end
  if pick_id == id then return grant() end
  taken[pick + 1] = taken[pick + 1] + 1
  if pick == 2 then bulk = bulk + 1 else above = above + 1 end
end
if lane == 2 and bulk >= limit - reserve then
  -- Bulk holds its share: wait until one of its slots frees (or poll for a lease).
  local e = redis.call('ZRANGE', KEYS[8], 0, 0, 'WITHSCORES')
  if e[2] ~= nil and tonumber(e[2]) <= now + per + 1 then
    return wait(tonumber(e[2]) - now, n)
  end
  return wait(-1, n)
end
return wait(tonumber(ARGV[12]), n)
