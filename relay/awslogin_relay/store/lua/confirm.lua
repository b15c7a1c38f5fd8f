-- KEYS: p  ARGV: now, confirmed_at, binding hash, " " .. who confirmed (or ''), prefix, id
-- Returns the binding the pairing holds afterwards, or false if it is not live and pending.
-- A binding made here wakes the pairing's waiters (a host waits for the notice).
local v = redis.call('GET', KEYS[1])
if not v then return false end
local exp, conf, res, blob = parse_live(v)
if not exp or tonumber(exp) <= tonumber(ARGV[1]) or res ~= '' then return false end
local at, bound = string.match(conf, '^([^ ]*) ?([^ ]*)')
if bound ~= '' then return bound end
if at == '' then at = ARGV[2] end
redis.call('SET', KEYS[1],
  'L\n' .. exp .. '\n' .. at .. ' ' .. ARGV[3] .. ARGV[4] .. '\n\n' .. blob, 'KEEPTTL')
redis.call('PUBLISH', ARGV[5] .. 'wake', ARGV[6])
return ARGV[3]
