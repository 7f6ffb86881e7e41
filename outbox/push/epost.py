"""Deutsche Post E-POSTBUSINESS API (hybrid letters), as publicly described.

The API (``https://api.epost.docuguide.com``, Swagger ``/swagger/v2/swagger.json``) is
JSON over HTTPS with a bearer token:

* ``POST /api/Login`` with ``vendorID``, ``ekp``, ``secret``, ``password`` → ``{"token"}``
  (valid up to 24 h; a ``401`` later means: log in again);
* ``POST /api/Letter`` with an **array** of letters — ``fileName``, ``data`` (the PDF,
  Base64, at most 20 MB; a request at most 300 MB), ``addressLine1`` … ``addressLine5``,
  ``zipCode``, ``city``, ``country`` (German name in capitals, empty for domestic mail),
  ``senderAdressLine1`` (sic), ``senderStreet``, ``senderZipCode``, ``senderCity``,
  ``isColor``, ``isDuplex``, ``registeredLetter`` (``Einwurf Einschreiben``,
  ``Einschreiben``, ``Einschreiben Rückschein``), ``testFlag``,
  ``activateDuplicateFailsafe``, ``custom1`` … ``custom5`` → ``[{"fileName", "letterID"}]``;
* ``POST /api/Letter/StatusQuery`` with an array of letter ids → per letter ``statusID``
  (1 accepted, 2 in processing, 3 handed to the print centre, 4 dispatched by the print
  centre, 99 error with ``errorList``), ``printFeedbackDate``, ``registeredLetterID``,
  ``registeredLetterStatus`` (the Einschreiben tracking codes, e.g. ``DELIVERED``,
  ``RETURNED_TO_SENDER``) and ``registeredLetterStatusDate``;
* errors as ``{"level", "code", "description"}``.

Translation into akte's reports: status 4 is ``printed`` and ``posted`` on the
``printFeedbackDate`` (with the Einschreiben number as tracking number); 99 is ``rejected``
with reason code ``epost_<code>``; the Einschreiben's final tracking codes give
``delivered`` or ``returned`` with their date. E-POST offers no Postzustellungsurkunde: PZU
batches stay with the pull API. Fields and codes beyond this description are not used;
check the current Swagger document before going live.
"""

from __future__ import annotations

import base64
import threading
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from outbox.addresses import COUNTRIES
from outbox.push.base import (
    ProviderRefused,
    ProviderReport,
    ProviderState,
    ProviderUnavailable,
    PushLetter,
)

if TYPE_CHECKING:  # imported where a client is made: httpx costs a process 0.15 s
    import httpx

MAX_PDF_BYTES = 20 * 1024 * 1024
MAX_REQUEST_BYTES = 300 * 1024 * 1024
#: Letters per upload request (well under the 300 MB limit at 20 MB each … mostly).
CHUNK = 10
REGISTERED = {
    "einschreiben_einwurf": "Einwurf Einschreiben",
    "einschreiben": "Einschreiben",
    "einschreiben_rueckschein": "Einschreiben Rückschein",
}
OFFERED = {"standardbrief", *REGISTERED}
DELIVERED = {
    "DELIVERED",
    "FETCHED",
    "FETCHED_NOTIFIED",
    "FETCHED_PACKSTATION",
    "DELIVERED_PO_BOX",
    "CONFIRMED",
}
RETURNED = {
    "RETURNED_TO_SENDER": "Die Sendung wurde dem Absender zugestellt.",
    "CONFIRMED_BY_SENDER": "Der Absender hat die unzustellbare Sendung quittiert.",
    "MARBURG": "Unanbringlich: die Sendung lagert in der Briefermittlung Marburg.",
}
BERLIN = ZoneInfo("Europe/Berlin")
#: Bearer tokens per (API, vendor, EKP), shared by the jobs of one process: a token lives
#: up to 24 h, and logging in for every poll would be a needless load on the provider.
_TOKENS: dict[tuple[str, str, str], str] = {}
_TOKENS_LOCK = threading.Lock()


def _day(value: str | None) -> date | None:
    """A date from the API's ISO timestamps (local Berlin time when without offset)."""
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(BERLIN).date()


class EPostAdapter:
    key = "epost"

    def __init__(
        self,
        *,
        base_url: str,
        vendor_id: str,
        ekp: str,
        secret: str,
        password: str,
        test_mode: bool = False,
        timeout: float = 60.0,
    ) -> None:
        self._login = {"vendorID": vendor_id, "ekp": ekp, "secret": secret, "password": password}
        self._test = test_mode
        import httpx

        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self._key = (base_url.rstrip("/"), vendor_id, ekp)

    @property
    def _token(self) -> str | None:
        return _TOKENS.get(self._key)

    @_token.setter
    def _token(self, value: str | None) -> None:
        with _TOKENS_LOCK:
            if value is None:
                _TOKENS.pop(self._key, None)
            else:
                _TOKENS[self._key] = value

    def close(self) -> None:
        self._client.close()

    # --- HTTP -----------------------------------------------------------------------

    def _authenticate(self) -> str:
        response = self._send("POST", "/api/Login", self._login, auth=False)
        token = response.json().get("token")
        if not token:
            raise ProviderRefused("E-POST login answered without a token")
        self._token = token
        return token

    def _send(self, method: str, path: str, body, *, auth: bool = True) -> httpx.Response:
        import httpx

        for attempt in range(2):
            headers = {}
            if auth:
                headers["Authorization"] = f"Bearer {self._token or self._authenticate()}"
            try:
                response = self._client.request(method, path, json=body, headers=headers)
            except httpx.HTTPError as exc:
                raise ProviderUnavailable(f"E-POST unreachable: {exc}") from exc
            if response.status_code == 401 and auth and attempt == 0:
                self._token = None  # expired on their side: log in once more
                continue
            if response.status_code == 429 or response.status_code >= 500:
                raise ProviderUnavailable(f"E-POST answered {response.status_code}")
            if response.status_code >= 400:
                raise ProviderRefused(
                    f"E-POST refused {path} ({response.status_code}): {_error(response)}"
                )
            return response
        raise ProviderRefused("E-POST login not accepted")

    # --- the adapter interface ------------------------------------------------------

    def offers(self, product: str) -> bool:
        return product in OFFERED

    def refuses(self, letter: PushLetter) -> str | None:
        if len(letter.pdf) > MAX_PDF_BYTES:
            return "das PDF ist größer als 20 MB (Grenze der E-POST)"
        if not all(letter.recipient.get(key) for key in ("street", "postcode", "city")):
            return "die Anschrift ist nicht in Straße, Postleitzahl und Ort gegliedert"
        if len(letter.recipient["name_lines"]) > 4:
            return "E-POST nimmt höchstens 4 Namenszeilen über der Straße"
        if letter.recipient["country"] not in COUNTRIES:
            return f"unbekanntes Land {letter.recipient['country']}"
        return None

    def letter_body(self, letter: PushLetter) -> dict:
        address = letter.recipient
        lines = [*address["name_lines"], address["street"]]
        body: dict = {
            "fileName": f"{letter.letter_id}.pdf",
            "data": base64.b64encode(letter.pdf).decode("ascii"),
            **{f"addressLine{i}": line for i, line in enumerate(lines, start=1)},
            "zipCode": address["postcode"],
            "city": address["city"],
            "isColor": letter.color,
            "isDuplex": letter.duplex,
            "testFlag": self._test,
            "activateDuplicateFailsafe": True,
            "custom1": str(letter.letter_id),
        }
        if address["country"] != "DE":
            body["country"] = COUNTRIES[address["country"]].name
        if letter.product in REGISTERED:
            body["registeredLetter"] = REGISTERED[letter.product]
        if letter.sender:
            body |= {
                "senderAdressLine1": " ".join(letter.sender["name_lines"]),
                "senderStreet": letter.sender["street"],
                "senderZipCode": letter.sender["postcode"],
                "senderCity": letter.sender["city"],
            }
        return body

    def submit(self, letters: list[PushLetter]) -> dict[uuid.UUID, str]:
        accepted: dict[uuid.UUID, str] = {}
        for start in range(0, len(letters), CHUNK):
            chunk = letters[start : start + CHUNK]
            response = self._send("POST", "/api/Letter", [self.letter_body(x) for x in chunk])
            by_name = {f"{x.letter_id}.pdf": x.letter_id for x in chunk}
            for ident in response.json():
                letter_id = by_name.get(ident.get("fileName"))
                if letter_id is not None and ident.get("letterID"):
                    accepted[letter_id] = str(ident["letterID"])
        return accepted

    def poll(self, refs: list[str]) -> list[ProviderState]:
        states = []
        for start in range(0, len(refs), 500):
            ids = [int(ref) for ref in refs[start : start + 500]]
            response = self._send("POST", "/api/Letter/StatusQuery", ids)
            states.extend(translate(item) for item in response.json())
        return states


def translate(item: dict) -> ProviderState:
    """One StatusQuery entry as akte reports (see the module docstring)."""
    status_id = int(item.get("statusID") or 0)
    tracking = item.get("registeredLetterID") or None
    registered = item.get("registeredLetterStatus") or None
    raw = f"{status_id}/{registered}" if registered else str(status_id)
    ref = str(item.get("letterID"))
    if status_id == 99:
        errors = item.get("errorList") or []
        code = (errors[0].get("code") if errors else "") or "error"
        text = "; ".join(e.get("description", "") for e in errors) or "Fehler bei der E-POST"
        report = ProviderReport(
            "rejected", reason_code=f"epost_{code.lower()}"[:64], reason=text[:500]
        )
        return ProviderState(ref, raw, [report], final=True)
    if status_id != 4:
        return ProviderState(ref, raw)
    posted_on = _day(item.get("printFeedbackDate"))
    reports = [
        ProviderReport("printed", on=posted_on),
        ProviderReport("posted", on=posted_on, tracking_number=tracking),
    ]
    final = tracking is None
    if registered in DELIVERED:
        reports.append(ProviderReport("delivered", on=_day(item.get("registeredLetterStatusDate"))))
        final = True
    elif registered in RETURNED:
        reports.append(
            ProviderReport(
                "returned",
                reason=RETURNED[registered],
                on=_day(item.get("registeredLetterStatusDate")),
            )
        )
        final = True
    return ProviderState(ref, raw, reports, final=final)


def _error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return f"{body.get('code', '')} {body.get('description', '')}".strip()
    return str(body)[:200]
