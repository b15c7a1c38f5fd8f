-- KEYS: p  ARGV: prefix, id, now, tomb_ttl, margin ms
-- Ends a live pairing: CANCELLED, or the end of the denial it holds (`denial_of`).
-- Returns 1 if the pairing was live, else false.
local v = redis.call('GET', KEYS[1])
if not v then return false end
local exp, conf, res, blob = parse_live(v)
if not exp or tonumber(exp) <= tonumber(ARGV[3]) then return false end
local reason = 'cancelled'
if res ~= '' and cjson.decode(res)[1] == 'denied' then reason = denial_of(res) end
bury(ARGV[1], ARGV[2], blob, reason, ARGV[3], ARGV[3], ARGV[4], ARGV[5], binding_of(conf), '')
return 1
