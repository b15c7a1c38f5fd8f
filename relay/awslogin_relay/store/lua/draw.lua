-- KEYS: bucket hash  ARGV: now, capacity, per second, cost, margin ms
-- Returns seconds until the bucket holds a token again, as text (Lua numbers would be
-- cut to integers on the way back).
local now = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local held = redis.call('HMGET', KEYS[1], 'level', 'at')
local level = capacity
if held[1] then
  level = math.min(capacity, tonumber(held[1]) + math.max(0, now - tonumber(held[2])) * rate)
end
level = math.max(0, level - cost)
if cost > 0 then
  redis.call('HSET', KEYS[1], 'level', string.format('%.17g', level), 'at', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + tonumber(ARGV[5]))
end
if level >= 1 then return '0' end
return string.format('%.17g', (1 - level) / rate)
