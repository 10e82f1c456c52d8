-- Loaded by wrk (-s) with one argument after "--": a file whose lines are
--   METHOD <tab> PATH <tab> COOKIE HEADER VALUE <tab> URL-ENCODED BODY (may be empty)
-- Each request takes the next line, so the load is spread over several users and rows.
-- The two threads start half the file apart. Prints the same WRK_RESULT line as wrk_report.lua.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "wrk_report.lua")

local threads_made = 0
function setup(thread)
  thread:set("thread_number", threads_made)
  threads_made = threads_made + 1
end

local entries = {}
local index = 0

function init(args)
  for line in io.lines(args[1]) do
    local method, path, cookie, body = line:match("^([^\t]+)\t([^\t]+)\t([^\t]*)\t(.*)$")
    if method then
      entries[#entries + 1] = { method = method, path = path, cookie = cookie, body = body }
    end
  end
  if #entries == 0 then
    error("wrk_rotate.lua: no requests in " .. tostring(args[1]))
  end
  index = ((thread_number or 0) * math.floor(#entries / 2)) % #entries
end

function request()
  index = index % #entries + 1
  local entry = entries[index]
  -- Headers given here replace wrk's -H ones (all but Host): keep the User-Agent the cookies were made with.
  local headers = { Cookie = entry.cookie, ["User-Agent"] = wrk.headers["User-Agent"] }
  local body = nil
  if entry.body ~= "" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    body = entry.body
  end
  return wrk.format(entry.method, entry.path, headers, body)
end
