-- KEYS: p, c, s, pend, ps, then one key per share (a zset of its pending ids by expiry)
-- ARGV: record, id, expires_at, key lifetime ms, now, total cap ('' for none),
--       then the limit of each share, in the order of their keys
-- Returns 'ok', the name of a key already in use, or {'total'} / {'share', n, expiry of
-- its earliest pending pairing} when a cap is reached (nothing is stored then).
if redis.call('EXISTS', KEYS[1]) == 1 then return 'pairing_id' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'user_code' end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'state' end
if ARGV[6] ~= '' and redis.call('ZCOUNT', KEYS[4], '(' .. ARGV[5], '+inf') >= tonumber(ARGV[6])
then
  return {'total'}
end
-- A pairing leaves its shares when it gets a result or ends (lib.lua: leave_shares);
-- one that expired leaves here, by its score.
for i = 6, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', ARGV[5])
  if redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[i + 1]) then
    local first = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    return {'share', i - 5, first[2]}
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2])
extend(KEYS[4], tonumber(ARGV[4]))
if #KEYS >= 6 then
  local shares = {}
  for i = 6, #KEYS do
    redis.call('ZADD', KEYS[i], ARGV[3], ARGV[2])
    extend(KEYS[i], tonumber(ARGV[4]))
    shares[#shares + 1] = KEYS[i]
  end
  redis.call('SET', KEYS[5], table.concat(shares, '\n'), 'PX', ARGV[4])
end
return 'ok'
