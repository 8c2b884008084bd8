-- Verity user hash in Lua 5.1-5.4 with luaossl (Debian: lua-luaossl; LuaRocks: luaossl).
-- Usage: lua5.4 user_hash.lua SECRET IDENTIFIER   (identifier = user_id when you send one, else email)
local hmac = require("openssl.hmac")

local secret, identifier = arg[1], arg[2]
local mac = hmac.new(secret, "sha256"):final(identifier) -- key first; raw bytes out
print((mac:gsub(".", function(c) return string.format("%02x", c:byte()) end)))
