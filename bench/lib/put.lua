-- wrk -s bench/lib/put.lua: PUT requests with a body of PUT_SIZE bytes (default 4096).
-- PUT_FILES [1]: with 1, every request PUTs the URL given to wrk (the request is built once);
-- with N > 1, the requests cycle over N files named after the URL's path plus a number, so that
-- concurrent uploads do not all replace the same file.
local size = tonumber(os.getenv("PUT_SIZE") or "4096")
local files = tonumber(os.getenv("PUT_FILES") or "1")

wrk.method = "PUT"
wrk.body = string.rep("x", size)
wrk.headers["Content-Type"] = "application/octet-stream"

if files > 1 then
  local n = 0
  request = function()
    n = n + 1
    return wrk.format(nil, wrk.path .. (n % files))
  end
end
