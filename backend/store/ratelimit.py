"""A sliding-window rate limiter shared by every process through Redis (one Lua script, atomic).

amoCRM counts requests in a sliding one-second window (7 per second per account), and the Sheets API
counts per minute; a token bucket that allows a burst and then a steady rate can still put 8 requests
into one amoCRM window. So each caller *reserves* a send time: the script keeps the scheduled send times
of the last window in a sorted set and returns how long to wait so that no window of `window_s + margin_s`
ever holds more than `limit` of them — across every web and worker process. A 429's Retry-After is
shared too: `block(seconds)` pushes every later reservation past it. A per-minute quota can also be
*paced* (a sixth of it per 10 s for Sheets): spent in a burst, 60 reads a minute left every edit waiting
40 s for the minute to pass; paced, edits arriving meanwhile are gathered into the next run instead.
A caller that must not wait (a web request) uses `try_reserve`: a slot now, or nothing booked and the
time until one is free (for a 429's Retry-After).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import redis

from backend.store import keys

# KEYS[1] the sorted set of scheduled times, KEYS[2] the "blocked until" key.
# ARGV: limit, window (us), member id[, pace limit, pace window (us)[, max wait (us), -1: any]].
# Returns the scheduled time minus now, in microseconds (negative: refused, -(wait) - 1).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local at = now
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > at then at = blocked end
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  -- the (count - limit + 1)-th most recent reservation must have left the window before we go
  local edge = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  local free = tonumber(edge[2]) + window
  if free > at then at = free end
end
-- pacing (optional): no more than ARGV[4] of them in any ARGV[5]-long stretch either, so a burst cannot
-- spend a whole minute's quota in seconds and leave every caller waiting out the rest of the minute
-- "now or never" callers (ARGV[6] >= 0) are few and bounded by their own shares: they skip pacing,
-- which is for jobs that would otherwise burst, and are held only by the window's hard limit
local max_wait = tonumber(ARGV[6] or '-1')
local pace = tonumber(ARGV[4] or '0')
if max_wait < 0 and pace > 0 and count >= pace then
  local edge = redis.call('ZRANGE', KEYS[1], count - pace, count - pace, 'WITHSCORES')
  local free = tonumber(edge[2]) + tonumber(ARGV[5])
  if free > at then at = free end
end
-- "now or never" (ARGV[6] >= 0, web requests): take a free slot within ARGV[6] or book nothing and
-- return minus the wait. Every booked reservation, future ones too, is counted above, so a slot taken
-- now between them never puts more than `limit` into any window.
if max_wait >= 0 then
  if at - now > max_wait then return -(at - now) - 1 end
else
  -- never schedule before the latest reservation: keeps send order equal to reservation order
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if last[2] and tonumber(last[2]) > at then at = tonumber(last[2]) end
end
redis.call('ZADD', KEYS[1], at, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.floor((at - now + window) / 1000) + 1000)
return at - now
"""

_BLOCK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_ = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > current then
  redis.call('SET', KEYS[1], until_, 'PX', math.floor(tonumber(ARGV[1]) / 1000) + 1000)
end
return until_ - now
"""


@dataclass
class SlidingWindowLimiter:
    client: redis.Redis
    name: str  # from store/keys.py, e.g. keys.amo_limiter(host) or keys.sheets_limiter("read")
    limit: int
    window_s: float = 1.0
    margin_s: float = 0.0  # widen the window a little: requests do not arrive exactly when sent
    # Spend the window's quota evenly: at most `pace_limit` reservations in any `pace_window_s` (0: off).
    pace_limit: int = 0
    pace_window_s: float = 0.0

    def __post_init__(self) -> None:
        self._reserve = self.client.register_script(_RESERVE)
        self._block = self.client.register_script(_BLOCK)

    @property
    def _keys(self) -> list[str]:
        return [keys.limiter_window(self.name), keys.limiter_blocked(self.name)]

    def _call(self, max_wait_us: int) -> int:
        window_us = int((self.window_s + self.margin_s) * 1_000_000)
        args = [self.limit, window_us, uuid.uuid4().hex, self.pace_limit, int(self.pace_window_s * 1_000_000)]
        return int(self._reserve(keys=self._keys, args=[*args, max_wait_us]))

    def reserve(self) -> float:
        """Reserve one request slot; return the seconds to wait before sending it."""
        return max(0.0, self._call(-1) / 1_000_000)

    def try_reserve(self, max_wait_s: float = 0.0) -> tuple[bool, float]:
        """Take a slot only if one is free within `max_wait_s`: (True, wait) — or book nothing and return
        (False, seconds until one would be free). For callers that must not wait (web requests)."""
        wait_us = self._call(int(max_wait_s * 1_000_000))
        if wait_us < 0:
            return False, (-wait_us - 1) / 1_000_000
        return True, wait_us / 1_000_000

    def acquire(self) -> float:
        """Reserve a slot and sleep until it comes; return the time waited."""
        wait = self.reserve()
        if wait > 0:
            time.sleep(wait)
        return wait

    def used(self, within_s: float | None = None) -> int:
        """Reservations in the last `within_s` (the whole window by default), booked future ones
        included. Books nothing."""
        now = self.client.time()
        now_s = now[0] + now[1] / 1_000_000
        low = (now_s - (self.window_s + self.margin_s if within_s is None else within_s)) * 1_000_000
        return int(self.client.zcount(self._keys[0], low, "+inf"))

    def block(self, seconds: float) -> None:
        """Hold every process's next request for `seconds` (the server said Retry-After)."""
        self._block(keys=[self._keys[1]], args=[int(seconds * 1_000_000)])
