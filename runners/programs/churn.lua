-- churn.lua N - tables, strings and closures of many sizes, most dropped
-- soon, some kept in a ring of 4096 until overwritten. Lua's allocator is
-- one realloc-like function over malloc, realloc and free: every table part,
-- string and closure is a call. Prints a sum that depends on N only.
local n = tonumber(arg[1]) or 450000
local keep, slots = {}, 4096
local sum = 0
for i = 1, n do
	local t = {}
	for j = 1, (i % 13) do t[j] = j * i end
	t.name = "k" .. (i % 977) .. ":" .. string.rep("x", i % 61)
	t.f = function() return i end
	keep[(i * 7919) % slots + 1] = t
	if i % 5 == 0 then
		local s = table.concat({ "a", i, "b", #t.name }, "-")
		sum = sum + #s
	end
end
for _, t in pairs(keep) do sum = sum + #t + #t.name + t.f() % 7 end
print(sum)
