-- KEYS: bucket hash  ARGV: now, capacity, per second, cost, margin ms
-- Takes `cost` tokens if the bucket holds them and returns '0'; else takes nothing and
-- returns the seconds until it holds them, as text (Lua numbers would be cut to
-- integers on the way back).
local now = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local held = redis.call('HMGET', KEYS[1], 'level', 'at')
local level = capacity
if held[1] then
  level = math.min(capacity, tonumber(held[1]) + math.max(0, now - tonumber(held[2])) * rate)
end
if level < cost then
  return string.format('%.17g', (cost - level) / rate)
end
level = math.min(capacity, level - cost)
redis.call('HSET', KEYS[1], 'level', string.format('%.17g', level), 'at', ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + tonumber(ARGV[5]))
return '0'
