-- Give a slot back: free a window after now (at once if the request never left), and
-- reserve slots for budget the service reports spent by someone else.
--
-- KEYS: slots, foreign, limit, seq, held:interactive, held:normal, held:bulk
-- ARGV: permit id, sent (1/0), per, server limit (0: none), remaining (-1: none), follow,
--       ours at acquire, seq at acquire, default limit, key ttl ms, limit ttl ms, max limit,
--       seconds since the release, late (1/0)
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local per = tonumber(ARGV[3])
local free_at = now + per - tonumber(ARGV[13])
if ARGV[2] ~= '1' or free_at <= now then
  redis.call('ZREM', KEYS[1], ARGV[1])
  for k = 5, 7 do redis.call('ZREM', KEYS[k], ARGV[1]) end
  return 0
end
-- The lane's mirror of the slot frees with it (XX: only a slot it holds).
for k = 5, 7 do redis.call('ZADD', KEYS[k], 'XX', free_at, ARGV[1]) end
if ARGV[14] == '1' then
  -- A late release (Redis was away): only shorten a lease that is still there.
  redis.call('ZADD', KEYS[1], 'XX', free_at, ARGV[1])
  return 0
end
redis.call('ZADD', KEYS[1], free_at, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[10])
local server_limit = tonumber(ARGV[4])
if server_limit < 1 then return 0 end
local limit = tonumber(ARGV[9])
if ARGV[6] == '1' then
  limit = math.min(server_limit, tonumber(ARGV[12]))
  redis.call('SET', KEYS[3], limit, 'PX', ARGV[11])
end
local remaining = tonumber(ARGV[5])
if remaining < 0 then return 0 end
local seq = tonumber(redis.call('GET', KEYS[4]) or '0')
local seq0 = tonumber(ARGV[8])
if seq < seq0 then return 0 end
-- The service counted used = limit - remaining when this request arrived: ours in use
-- when it was admitted (itself included), perhaps some of ours admitted since, and
-- others'. Act only when others' use is certain even if all of those were counted, so
-- our own traffic never reserves anything; then count none of them, to be safe.
local used = server_limit - remaining
local before = tonumber(ARGV[7])
local gap = server_limit - limit
if used - before - (seq - seq0) <= gap then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local others = used - before - gap
local needed = math.min(others - redis.call('ZCARD', KEYS[2]), limit)
for i = 1, needed do
  local member = 'f:' .. ARGV[1] .. ':' .. i
  redis.call('ZADD', KEYS[1], now + per, member)
  redis.call('ZADD', KEYS[2], now + per, member)
end
if needed > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[10]) end
return needed
