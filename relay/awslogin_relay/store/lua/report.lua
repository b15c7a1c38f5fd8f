-- KEYS: p  ARGV: prefix, id, now, tomb_ttl, margin ms, reason, outcome JSON
-- Ends a pairing that holds a result (acknowledged or not) with the host's outcome:
-- a tombstone with `reason` that keeps the outcome, or DENIED (without it) when the
-- result was the provider's denial. Pending: unchanged. Returns the live record as it
-- was before, or false if the pairing was not live.
local v = redis.call('GET', KEYS[1])
if not v then return false end
local exp, conf, res, blob = parse_live(v)
if not exp or tonumber(exp) <= tonumber(ARGV[3]) then return false end
if res == '' then return v end
if cjson.decode(res)[1] == 'denied' then
  bury(ARGV[1], ARGV[2], blob, denial_of(res), ARGV[3], ARGV[3], ARGV[4], ARGV[5],
    binding_of(conf), '')
else
  bury(ARGV[1], ARGV[2], blob, ARGV[6], ARGV[3], ARGV[3], ARGV[4], ARGV[5],
    binding_of(conf), ARGV[7])
end
return v
