-- KEYS: p  ARGV: prefix, id, now, new expiry (now + finishing ttl), tomb_ttl, margin ms
-- The host opened the result. A sealed result is dropped (the result line keeps its kind
-- and says "acknowledged") and the pairing finishes by ARGV[4]; a denial ends as DENIED.
-- Pending or already acknowledged: unchanged. Returns the live record as it was before,
-- or false if the pairing was not live.
local v = redis.call('GET', KEYS[1])
if not v then return false end
local exp, conf, res, blob = parse_live(v)
local now = tonumber(ARGV[3])
if not exp or tonumber(exp) <= now then return false end
if res == '' or acknowledged(res) then return v end
if cjson.decode(res)[1] == 'denied' then
  bury(ARGV[1], ARGV[2], blob, denial_of(res), ARGV[3], ARGV[3], ARGV[5], ARGV[6],
    binding_of(conf), '')
  return v
end
local ms = math.floor((tonumber(ARGV[4]) + tonumber(ARGV[5]) - now) * 1000) + tonumber(ARGV[6])
redis.call('SET', KEYS[1],
  'L\n' .. ARGV[4] .. '\n' .. conf .. '\n["complete",null,null,null,1]\n' .. blob, 'PX', ms)
redis.call('ZADD', ARGV[1] .. 'done', ARGV[4], ARGV[2])
extend(ARGV[1] .. 'done', ms)
-- the user code and state stay reserved as long as the record (and its tombstone)
local f = cjson.decode(string.match(blob, '^([^\n]*)'))
extend(ARGV[1] .. 'c:' .. f[2], ms)
extend(ARGV[1] .. 's:' .. f[3], ms)
return v
