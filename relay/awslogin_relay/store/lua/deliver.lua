-- KEYS: p  ARGV: prefix, id, now, end of the redelivery window (now + redelivery ttl)
-- Returns the result JSON of a live pairing holding an unacknowledged result, else
-- false. The first delivery moves the expiry to the window's end; later ones find an
-- earlier expiry and leave it.
local v = redis.call('GET', KEYS[1])
if not v then return false end
local exp, conf, res, blob = parse_live(v)
if not exp or tonumber(exp) <= tonumber(ARGV[3]) or res == '' or acknowledged(res) then
  return false
end
if tonumber(ARGV[4]) < tonumber(exp) then
  redis.call('SET', KEYS[1], 'L\n' .. ARGV[4] .. '\n' .. conf .. '\n' .. res .. '\n' .. blob,
    'KEEPTTL')
  redis.call('ZADD', ARGV[1] .. 'done', ARGV[4], ARGV[2])
end
return res
