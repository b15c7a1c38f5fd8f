-- KEYS: p, c, s, pend  ARGV: record, id, expires_at, key lifetime ms
if redis.call('EXISTS', KEYS[1]) == 1 then return 'pairing_id' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'user_code' end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'state' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2])
extend(KEYS[4], tonumber(ARGV[4]))
return 'ok'
