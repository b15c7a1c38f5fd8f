-- KEYS: p  ARGV: prefix, id, now, result JSON, now + result_ttl, tomb_ttl, margin ms
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local exp, conf, res, blob = parse_live(v)
local now = tonumber(ARGV[3])
if not exp or tonumber(exp) <= now or res ~= '' then return 0 end
if tonumber(ARGV[5]) < tonumber(exp) then exp = ARGV[5] end
local ms = math.floor((tonumber(exp) + tonumber(ARGV[6]) - now) * 1000) + tonumber(ARGV[7])
redis.call('SET', KEYS[1], 'L\n' .. exp .. '\n' .. conf .. '\n' .. ARGV[4] .. '\n' .. blob,
  'PX', ms)
redis.call('ZREM', ARGV[1] .. 'pend', ARGV[2])
leave_shares(ARGV[1], ARGV[2])
redis.call('ZADD', ARGV[1] .. 'done', exp, ARGV[2])
extend(ARGV[1] .. 'done', ms)
redis.call('PUBLISH', ARGV[1] .. 'wake', ARGV[2])
return 1
