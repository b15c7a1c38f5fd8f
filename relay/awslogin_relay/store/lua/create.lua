-- KEYS: p, c, s, pend, then one key per share (a zset of its pending ids by expiry)
-- ARGV: record, id, expires_at, key lifetime ms, now, total cap ('' for none), prefix,
--       then the limit of each share, in the order of their keys
-- Returns 'ok', the name of a key already in use, or {'total'} / {'share', n, expiry of
-- its earliest pending pairing} when a cap is reached (nothing is stored then).
if redis.call('EXISTS', KEYS[1]) == 1 then return 'pairing_id' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'user_code' end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'state' end
local now = tonumber(ARGV[5])
if ARGV[6] ~= '' and redis.call('ZCOUNT', KEYS[4], '(' .. ARGV[5], '+inf') >= tonumber(ARGV[6])
then
  return {'total'}
end
-- Whether a share member is still pending: live, unexpired, without a result.
local function pending(id)
  local v = redis.call('GET', ARGV[7] .. 'p:' .. id)
  if not v then return false end
  local exp, conf, res = parse_live(v)
  return exp ~= nil and tonumber(exp) > now and res == ''
end
for i = 5, #KEYS do
  local limit = tonumber(ARGV[i + 3])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', ARGV[5])
  if redis.call('ZCARD', KEYS[i]) >= limit then
    -- members that got a result or ended are dropped here, when the share looks full:
    -- the scripts that end pairings need not know about shares
    for _, id in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
      if not pending(id) then redis.call('ZREM', KEYS[i], id) end
    end
    if redis.call('ZCARD', KEYS[i]) >= limit then
      local first = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
      return {'share', i - 4, first[2]}
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2])
extend(KEYS[4], tonumber(ARGV[4]))
for i = 5, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[3], ARGV[2])
  extend(KEYS[i], tonumber(ARGV[4]))
end
return 'ok'
