-- Write a process's recent local requests into Redis after an outage, with their lanes,
-- and agree on the common time at which every process resumes sharing.
--
-- KEYS: slots, resume, peers, held:interactive, held:normal, held:bulk
-- ARGV: resume delay, lease, key ttl ms, process id, per, number of held ids,
--       then (id, lane) of each held request, then (id, lane, seconds until free) triples
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local resume = tonumber(redis.call('GET', KEYS[2]) or '0')
if resume == 0 then
  local delay = tonumber(ARGV[1])
  resume = now + delay
  redis.call('SET', KEYS[2], string.format('%.6f', resume), 'PX', math.ceil((delay + 1) * 1000))
end
local function add(id, lane, free_at)
  redis.call('ZADD', KEYS[1], free_at, id)
  local held = KEYS[4 + tonumber(lane)]
  redis.call('ZADD', held, free_at, id)
  redis.call('PEXPIRE', held, ARGV[3])
end
local count = tonumber(ARGV[6])
local j = 7
for _ = 1, count do
  add(ARGV[j], ARGV[j + 1], now + tonumber(ARGV[2]))
  j = j + 2
end
while j + 2 <= #ARGV do
  add(ARGV[j], ARGV[j + 1], now + tonumber(ARGV[j + 2]))
  j = j + 3
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[3], now + 2 * tonumber(ARGV[5]), ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return {string.format('%.6f', resume - now), redis.call('ZCARD', KEYS[3])}
