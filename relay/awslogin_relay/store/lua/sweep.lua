-- ARGV: prefix, now, tomb_ttl, margin ms, batch
-- Returns {id1, record1, id2, record2, ...} of the pairings that expired in this call,
-- then drops tombstones whose time is over (with the keys they reserved).
local prefix, now, batch = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[5])
local expired = {}
for _, set in ipairs({'pend', 'done'}) do
  local ids = redis.call('ZRANGEBYSCORE', prefix .. set, '-inf', now, 'LIMIT', 0, batch)
  for _, id in ipairs(ids) do
    local v = redis.call('GET', prefix .. 'p:' .. id)
    local exp, conf, res, blob
    if v then exp, conf, res, blob = parse_live(v) end
    if exp and tonumber(exp) <= now then
      bury(prefix, id, blob, 'expired', exp, ARGV[2], ARGV[3], ARGV[4], binding_of(conf), '')
      expired[#expired + 1] = id
      expired[#expired + 1] = v
    elseif exp then
      redis.call('ZADD', prefix .. set, exp, id)
    else
      redis.call('ZREM', prefix .. set, id)
    end
  end
end
local ids = redis.call('ZRANGEBYSCORE', prefix .. 'tomb', '-inf', now, 'LIMIT', 0, batch)
for _, id in ipairs(ids) do
  redis.call('ZREM', prefix .. 'tomb', id)
  local v = redis.call('GET', prefix .. 'p:' .. id)
  if v and string.sub(v, 1, 1) == 'T' then
    local f = cjson.decode(string.match(v, '^T\n[^\n]*\n[^\n]*\n([^\n]*)'))
    redis.call('DEL', prefix .. 'p:' .. id)
    for i, kind in ipairs({'c:', 's:'}) do
      local key = prefix .. kind .. f[i + 1]
      if redis.call('GET', key) == id then redis.call('DEL', key) end
    end
  end
end
return expired
