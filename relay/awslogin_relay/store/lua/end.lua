-- KEYS: p  ARGV: prefix, id, now, tomb_ttl, margin ms, "take" | "cancel"
-- take: returns the result JSON of a live pairing that has one, else false.
-- cancel: returns 1 if the pairing was live, else false.
local v = redis.call('GET', KEYS[1])
if not v then return false end
local exp, conf, res, blob = parse_live(v)
if not exp or tonumber(exp) <= tonumber(ARGV[3]) then return false end
if ARGV[6] == 'take' then
  if res == '' then return false end
  local reason = 'collected'
  if cjson.decode(res)[1] == 'denied' then reason = 'denied' end
  bury(ARGV[1], ARGV[2], blob, reason, ARGV[3], ARGV[3], ARGV[4], ARGV[5])
  return res
end
bury(ARGV[1], ARGV[2], blob, 'cancelled', ARGV[3], ARGV[3], ARGV[4], ARGV[5])
return 1
