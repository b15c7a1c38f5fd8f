-- Shared Lua helpers, prepended to every script that needs them.
local function parse_live(v)
  local exp, conf, res, blob = string.match(v, '^L\n([^\n]*)\n([^\n]*)\n([^\n]*)\n(.*)$')
  return exp, conf, res, blob
end
-- The binding hash of a confirmation line ("", "confirmed_at", "confirmed_at hash" or
-- "confirmed_at hash by", where `by` says who confirmed: see redis_records).
local function binding_of(conf)
  local _, bound = string.match(conf, '^([^ ]*) ?([^ ]*)')
  return bound or ''
end
-- The tombstone reason of a result that is a denial: the relay's own denials (a wrong
-- number, "not me" on the page; domain.pairing.RELAY_DENIALS) keep their names, so the
-- pages can say what happened.
local RELAY_DENIALS = {wrong_number = true, denied_on_page = true}
local function denial_of(res)
  local error = cjson.decode(res)[3]
  if type(error) == 'string' and RELAY_DENIALS[error] then return error end
  return 'denied'
end
local function extend(key, ms)
  local left = redis.call('PTTL', key)
  if left < ms then redis.call('PEXPIRE', key, ms) end
end
-- The pairing is no longer pending: remove it from the shares it counted against.
local function leave_shares(prefix, id)
  local key = prefix .. 'ps:' .. id
  local shares = redis.call('GET', key)
  if shares then
    for share in string.gmatch(shares, '[^\n]+') do redis.call('ZREM', share, id) end
    redis.call('DEL', key)
  end
end
-- Replace a live record by its tombstone, which keeps the browser binding and the
-- host's reported outcome (JSON, or ''); its user code and state stay reserved.
local function bury(prefix, id, rest, reason, gone_at, now, tomb_ttl, margin, binding, outcome)
  local tail = string.match(rest, '^([^\n]*)')
  local f = cjson.decode(tail)
  local ms = math.floor((tonumber(gone_at) + tonumber(tomb_ttl) - tonumber(now)) * 1000)
    + tonumber(margin)
  if ms < 1 then ms = 1 end
  redis.call('SET', prefix .. 'p:' .. id,
    'T\n' .. reason .. '\n' .. gone_at .. '\n' .. tail .. '\n' .. binding .. '\n' .. outcome,
    'PX', ms)
  redis.call('PEXPIRE', prefix .. 'c:' .. f[2], ms)
  redis.call('PEXPIRE', prefix .. 's:' .. f[3], ms)
  redis.call('ZREM', prefix .. 'pend', id)
  leave_shares(prefix, id)
  redis.call('ZREM', prefix .. 'done', id)
  redis.call('DEL', prefix .. 'poll:' .. id)
  redis.call('ZADD', prefix .. 'tomb', tonumber(gone_at) + tonumber(tomb_ttl), id)
  extend(prefix .. 'tomb', ms)
  redis.call('PUBLISH', prefix .. 'wake', id)
end
-- Whether a result JSON line says the host acknowledged it (a fifth field of 1).
local function acknowledged(res)
  return cjson.decode(res)[5] == 1
end
