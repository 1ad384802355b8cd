"""Per-minute read and write quotas, per user and per project, as the Sheets API enforces them.

Google: 60 read and 60 write requests per minute per user per project, 300 of each per minute per
project, refilled every minute; a batch request counts once; over the limit → 429 RESOURCE_EXHAUSTED.
Here a minute is a fixed window of the emulator's virtual clock (`floor(now / 60)`), so `advance(60)`
refills it. Reads are the GET methods plus developerMetadata.search and the *ByDataFilter reads; every
other method is a write. Calls rejected with 429 do not consume quota.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import asdict, dataclass

from sandbox.clock import Clock
from sandbox.sheets.errors import ApiError

READ_METHODS = {
    "spreadsheets.get",
    "spreadsheets.getByDataFilter",
    "spreadsheets.values.get",
    "spreadsheets.values.batchGet",
    "spreadsheets.values.batchGetByDataFilter",
    "spreadsheets.developerMetadata.get",
    "spreadsheets.developerMetadata.search",
}


def kind_of(method_id: str) -> str:
    return "read" if method_id in READ_METHODS else "write"


@dataclass
class QuotaSettings:
    read_per_user: int = 60
    read_per_project: int = 300
    write_per_user: int = 60
    write_per_project: int = 300
    enabled: bool = True


def project_number(project: str) -> str:
    """A stable 12-digit number standing in for the project's number in Google's messages."""
    return str(int(hashlib.sha256(project.encode()).hexdigest(), 16) % 10**12).zfill(12)


def quota_error(kind: str, per_user: bool, project: str, limit: int) -> ApiError:
    metric = "Read requests" if kind == "read" else "Write requests"
    limit_name = f"{metric} per minute per user" if per_user else f"{metric} per minute"
    number = project_number(project)
    quota_limit = f"{kind.capitalize()}RequestsPerMinute{'PerUser' if per_user else ''}"
    return ApiError(
        429,
        f"Quota exceeded for quota metric '{metric}' and limit '{limit_name}' of service "
        f"'sheets.googleapis.com' for consumer 'project_number:{number}'.",
        "RESOURCE_EXHAUSTED",
        [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "service": "sheets.googleapis.com",
                    "quota_metric": f"sheets.googleapis.com/{kind}_requests",
                    "quota_limit": quota_limit,
                    "quota_limit_value": str(limit),
                    "quota_location": "global",
                    "consumer": f"projects/{number}",
                },
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [
                    {
                        "description": "Request a higher quota limit.",
                        "url": "https://cloud.google.com/docs/quotas/help/request_increase",
                    }
                ],
            },
        ],
    )


class QuotaTracker:
    def __init__(self, clock: Clock, settings: QuotaSettings | None = None):
        self.clock = clock
        self.settings = settings or QuotaSettings()
        self._lock = threading.Lock()
        self._used: dict[tuple[str, str, str], tuple[int, int]] = {}  # (kind, scope, who) → (window, n)

    def _count(self, key: tuple[str, str, str], window: int) -> int:
        w, n = self._used.get(key, (window, 0))
        return n if w == window else 0

    def charge(self, method_id: str, user: str, project: str) -> None:
        """Count one call, or raise Google's 429 if the user's or the project's minute is used up."""
        kind = kind_of(method_id)
        s = self.settings
        with self._lock:
            if not s.enabled:
                return
            window = int(self.clock.now() // 60)
            user_key, project_key = (kind, "user", f"{project}/{user}"), (kind, "project", project)
            user_limit = s.read_per_user if kind == "read" else s.write_per_user
            project_limit = s.read_per_project if kind == "read" else s.write_per_project
            if self._count(user_key, window) >= user_limit:
                raise quota_error(kind, True, project, user_limit)
            if self._count(project_key, window) >= project_limit:
                raise quota_error(kind, False, project, project_limit)
            for key in (user_key, project_key):
                self._used[key] = (window, self._count(key, window) + 1)

    def configure(self, **changes: int | bool) -> QuotaSettings:
        with self._lock:
            for name, value in changes.items():
                if not hasattr(self.settings, name):
                    raise ValueError(f"unknown quota setting {name}")
                setattr(self.settings, name, value)
            return self.settings

    def snapshot(self) -> dict:
        with self._lock:
            window = int(self.clock.now() // 60)
            usage = {
                f"{kind}/{scope}/{who}": n for (kind, scope, who), (w, n) in self._used.items() if w == window
            }
            return {"settings": asdict(self.settings), "window_started_at": window * 60, "usage": usage}

    def reset(self, settings: QuotaSettings | None = None) -> None:
        with self._lock:
            self._used.clear()
            if settings is not None:
                self.settings = settings
