-- Paced, mixed GETs for bench/soak.sh, which has no rate option in Debian's wrk to lean on:
-- every connection waits DELAY_MS after each response before sending the next request, so
-- C connections send at most C * 1000 / DELAY_MS requests a second, however fast the server is.
--
-- Usage: wrk -t1 -cC ... -s soak.lua URL -- DELAY_MS CLOSE_EVERY PATH [PATH...]
--   the paths are asked in turn; every CLOSE_EVERY-th request (0: none) carries
--   "Connection: close", so connections are also opened and closed all along.
local paths, delay_ms, close_every, n = {}, 10, 0, 0

init = function(args)
   delay_ms = tonumber(args[1] or "10")
   close_every = tonumber(args[2] or "0")
   for k = 3, #args do
      paths[#paths + 1] = args[k]
   end
   if #paths == 0 then
      paths[1] = "/"
   end
end

request = function()
   n = n + 1
   local path = paths[(n - 1) % #paths + 1]
   if close_every > 0 and n % close_every == 0 then
      return wrk.format(nil, path, {["Connection"] = "close"})
   end
   return wrk.format(nil, path)
end

delay = function()
   return delay_ms
end
