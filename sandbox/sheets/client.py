"""`SheetsSandbox(base_url)`: a typed client for the emulator's `/_sandbox/` admin API (uses requests).

For tests, benchmarks and the demo: set up spreadsheets, act as a person in the UI, share, turn the
fault / quota / clock knobs, read counters, mint tokens. It never calls `/v4/*` — drive the API with
google-api-python-client or gspread, as the backend does. Rows are 1-based and columns are letters in
the UI methods, as a person sees them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypedDict, Unpack

import requests

Rows = Sequence[Sequence[Any]]


class Where(TypedDict, total=False):
    """Where and as whom a UI operation happens: the tab's title and the person's email."""

    sheet: str | None
    user: str | None


class SheetsSandboxError(RuntimeError):
    """The admin API answered an error; `status` and `body` say which."""

    def __init__(self, status: int, body: Any):
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


class SheetsSandbox:
    def __init__(self, base_url: str, *, session: requests.Session | None = None, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout

    # --- plumbing ---------------------------------------------------------------------------------------

    @property
    def api_endpoint(self) -> str:
        """What to pass as client_options={"api_endpoint": …} to google-api-python-client."""
        return self.base_url + "/"

    @property
    def certs_url(self) -> str:
        """x509 certs keyed by kid: `id_token.verify_token(..., certs_url=sandbox.certs_url)`."""
        return self.base_url + "/oauth2/v1/certs"

    @property
    def jwks_url(self) -> str:
        return self.base_url + "/oauth2/v3/certs"

    def _call(self, method: str, path: str, json: Any = None, params: dict | None = None) -> Any:
        response = self.session.request(
            method, f"{self.base_url}/_sandbox{path}", json=json, params=params, timeout=self.timeout
        )
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            raise SheetsSandboxError(response.status_code, body)
        return body

    # --- spreadsheets -------------------------------------------------------------------------------------

    def reset(self) -> None:
        self._call("POST", "/reset")

    def create_spreadsheet(
        self,
        title: str,
        rows: Rows | None = None,
        *,
        sheet_title: str = "Sheet1",
        owner: str | None = None,
        editors: Iterable[str] = (),
        viewers: Iterable[str] = (),
        csv: str | None = None,
        sheets: Sequence[dict[str, Any]] | None = None,
        value_input_option: str = "USER_ENTERED",
        spreadsheet_id: str | None = None,
        locale: str | None = None,
    ) -> str:
        """Create a spreadsheet and return its id. `owner` defaults to the emulator's anonymous principal
        (the backend's service account), so the backend can use it at once; pass a person as owner to
        test sharing. `sheets=[{"title", "rows" | "csv", "rowCount", "columnCount"}]` makes several tabs."""
        body: dict[str, Any] = {
            "title": title,
            "editors": list(editors),
            "viewers": list(viewers),
            "value_input_option": value_input_option,
        }
        if owner:
            body["owner"] = owner
        if spreadsheet_id:
            body["spreadsheet_id"] = spreadsheet_id
        if locale:
            body["locale"] = locale  # e.g. "ru_RU": how typed values are read and numbers shown
        if sheets is not None:
            body["sheets"] = list(sheets)
        else:
            body["sheet_title"] = sheet_title
            if csv is not None:
                body["csv"] = csv
            else:
                body["rows"] = [list(r) for r in rows or []]
        return self._call("POST", "/spreadsheets", body)["spreadsheetId"]

    def spreadsheet(self, spreadsheet_id: str, render: str = "UNFORMATTED_VALUE") -> dict[str, Any]:
        """Everything: sharing, each sheet's values, all developer metadata (any visibility), edit log."""
        return self._call("GET", f"/spreadsheets/{spreadsheet_id}", params={"render": render})

    def values(
        self, spreadsheet_id: str, sheet: str | None = None, render: str = "UNFORMATTED_VALUE"
    ) -> list[list[Any]]:
        params = {"render": render}
        if sheet:
            params["sheet"] = sheet
        return self._call("GET", f"/spreadsheets/{spreadsheet_id}/values", params=params)["values"]

    def metadata(self, spreadsheet_id: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/spreadsheets/{spreadsheet_id}/metadata")["developerMetadata"]

    def edits(self, spreadsheet_id: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/spreadsheets/{spreadsheet_id}/edits")["edits"]

    def sharing(self, spreadsheet_id: str) -> dict[str, Any]:
        """{owner, editors, viewers}."""
        return self._call("GET", f"/spreadsheets/{spreadsheet_id}/editors")

    def share(self, spreadsheet_id: str, email: str, role: str = "writer") -> None:
        """Spreadsheet.addEditor(email) (role="reader" for addViewer)."""
        self._call("POST", f"/spreadsheets/{spreadsheet_id}/editors", {"email": email, "role": role})

    def unshare(self, spreadsheet_id: str, email: str) -> None:
        self._call("DELETE", f"/spreadsheets/{spreadsheet_id}/editors/{email}")

    def delete_spreadsheet(self, spreadsheet_id: str) -> None:
        self._call("DELETE", f"/spreadsheets/{spreadsheet_id}")

    # --- acting as a person in the UI ---------------------------------------------------------------------
    # Each method names one UI operation; `**where` takes the tab (`sheet=`, default the first) and the
    # person (`user=`, default the owner) the same way for all of them.

    def _ui(
        self, spreadsheet_id: str, operation: str, user: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        body = {k: v for k, v in fields.items() if v is not None}
        if user:
            body["user"] = user
        return self._call("POST", f"/spreadsheets/{spreadsheet_id}/ui/{operation}", body)

    def edit_cells(self, spreadsheet_id: str, range: str, values: Rows, *, user: str | None = None) -> dict:
        """Type `values` into the cells starting at / within `range` (parsed as typed: USER_ENTERED)."""
        return self._ui(spreadsheet_id, "edit-cells", user, range=range, values=[list(r) for r in values])

    def sort(
        self,
        spreadsheet_id: str,
        range: str,
        column: str,
        *,
        ascending: bool = True,
        header: bool = False,
        user: str | None = None,
    ) -> dict:
        """Data → Sort range by one column (a letter); `header=True` keeps the range's first row in place."""
        return self._ui(
            spreadsheet_id, "sort", user, range=range, column=column, ascending=ascending, header=header
        )

    def insert_rows(self, spreadsheet_id: str, row: int, count: int = 1, **where: Unpack[Where]) -> dict:
        """Insert `count` rows above row `row` (1-based)."""
        return self._ui(spreadsheet_id, "insert-rows", row=row, count=count, **where)

    def delete_rows(self, spreadsheet_id: str, row: int, count: int = 1, **where: Unpack[Where]) -> dict:
        return self._ui(spreadsheet_id, "delete-rows", row=row, count=count, **where)

    def move_rows(
        self, spreadsheet_id: str, row: int, count: int, before: int, **where: Unpack[Where]
    ) -> dict:
        """Drag rows row..row+count-1 to sit before row `before` (numbered as before the move)."""
        return self._ui(spreadsheet_id, "move-rows", row=row, count=count, before=before, **where)

    def insert_columns(
        self, spreadsheet_id: str, column: str, count: int = 1, **where: Unpack[Where]
    ) -> dict:
        return self._ui(spreadsheet_id, "insert-columns", column=column, count=count, **where)

    def delete_columns(
        self, spreadsheet_id: str, column: str, count: int = 1, **where: Unpack[Where]
    ) -> dict:
        return self._ui(spreadsheet_id, "delete-columns", column=column, count=count, **where)

    def move_columns(
        self, spreadsheet_id: str, column: str, count: int, before: str, **where: Unpack[Where]
    ) -> dict:
        return self._ui(spreadsheet_id, "move-columns", column=column, count=count, before=before, **where)

    def rename_header(
        self, spreadsheet_id: str, old: str, new: str, *, header_row: int = 1, **where: Unpack[Where]
    ) -> dict:
        return self._ui(spreadsheet_id, "rename-header", old=old, new=new, header_row=header_row, **where)

    # --- knobs ----------------------------------------------------------------------------------------------

    def set_faults(
        self,
        status: int | None = None,
        count: int = 1,
        *,
        latency_ms: int = 0,
        methods: Sequence[str] | None = None,
    ) -> dict:
        """Force the next `count` API responses (optionally of `methods` only) to `status` (429/500/503),
        and/or add `latency_ms` to every API call."""
        return self._call(
            "POST",
            "/faults",
            {"status": status, "count": count, "latency_ms": latency_ms, "methods": list(methods or [])},
        )

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_quotas(
        self,
        *,
        read_per_user: int | None = None,
        read_per_project: int | None = None,
        write_per_user: int | None = None,
        write_per_project: int | None = None,
        enabled: bool | None = None,
    ) -> dict:
        changes = {
            "read_per_user": read_per_user,
            "read_per_project": read_per_project,
            "write_per_user": write_per_user,
            "write_per_project": write_per_project,
            "enabled": enabled,
        }
        return self._call("POST", "/quotas", {k: v for k, v in changes.items() if v is not None})

    def quotas(self) -> dict:
        return self._call("GET", "/quotas")

    def counters(self) -> dict[str, int]:
        """API calls per method id since the last reset, e.g. {"spreadsheets.values.batchGet": 3}."""
        return self._call("GET", "/counters")["calls"]

    def error_counters(self) -> dict[str, int]:
        """Calls answered with an error, keyed "method status", e.g. {"spreadsheets.get 404": 1}."""
        return self._call("GET", "/counters")["errors"]

    def reset_counters(self) -> None:
        self._call("POST", "/counters/reset")

    def now(self) -> float:
        return self._call("GET", "/clock")["now"]

    def advance(self, seconds: float) -> float:
        """Move the virtual clock forward (quota windows and access-token expiry follow it)."""
        return self._call("POST", "/clock/advance", {"seconds": seconds})["now"]

    def set_cors(self, enabled: bool = True) -> None:
        self._call("POST", "/cors", {"enabled": enabled})

    def mint_access_token(self, email: str, *, project: str | None = None, expires_in: float = 3600) -> str:
        body: dict[str, Any] = {"email": email, "expires_in": expires_in}
        if project:
            body["project"] = project
        return self._call("POST", "/access-token", body)["access_token"]

    def mint_id_token(
        self,
        email: str,
        sub: str | None = None,
        aud: str = "sandbox-addon.apps.googleusercontent.com",
        expires_in: float = 3600,
        *,
        issued_at: float | None = None,
        **claims: Any,
    ) -> str:
        """An ID token as ScriptApp.getIdentityToken() returns, signed by the emulator's key. `iat` is the
        emulator's virtual now unless `issued_at` (epoch seconds) is given; `exp` = iat + expires_in."""
        body: dict[str, Any] = {"email": email, "aud": aud, "expires_in": expires_in}
        if sub:
            body["sub"] = sub
        if issued_at is not None:
            body["issued_at"] = issued_at
        if claims:
            body["claims"] = claims
        return self._call("POST", "/id-token", body)["id_token"]
