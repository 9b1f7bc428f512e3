-- N requests pipelined per write (default 8), like wrk's examples/scripts/pipeline.lua.
-- Usage: wrk ... -s pipeline.lua http://host:port/path -- 8
--
-- Counting: wrk parses the string returned by request() once at start-up to learn the
-- pipeline depth, and counts every *response* it parses. So the "N requests in Xs" and
-- "Requests/sec" it prints are already per request (not per batch): do NOT multiply them
-- by the depth. Its latency figures, on the other hand, are per batch (the time from the
-- write of the batch to the last of its responses).
local depth = 8

init = function(args)
   depth = tonumber(args[1] or os.getenv("PIPELINE_DEPTH") or "8")
   local r = {}
   for i = 1, depth do
      r[i] = wrk.format(nil)          -- GET of the URL's path, with wrk's Host header
   end
   req = table.concat(r)
end

request = function()
   return req
end
