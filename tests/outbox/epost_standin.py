"""A local stand-in for the Deutsche Post E-POSTBUSINESS API, as publicly described.

The real API cannot be reached from here; this server follows its description (see
:mod:`outbox.push.epost`): login with vendorID/EKP/secret/password for a bearer token,
``POST /api/Letter`` with an array of letters (Base64 PDF, address lines, zipCode, city,
country), ``POST /api/Letter/StatusQuery`` with letter ids, ``GET /api/Letter/{id}``,
errors as ``{"level", "code", "description"}``. It validates what it receives the way the
description says the real one does (required fields, PDF and request size), keeps what it
accepted for the test to inspect, and answers states the test sets.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOGIN = {"vendorID": "V123", "ekp": "5012345678", "secret": "s3cret", "password": "pw"}
REQUIRED = ("fileName", "data", "addressLine1", "zipCode", "city")
REGISTERED = {"Einwurf Einschreiben", "Einschreiben", "Einschreiben Rückschein"}


class EPostStandIn:
    def __init__(self) -> None:
        self.tokens: set[str] = set()
        self.letters: dict[int, dict] = {}
        self.states: dict[int, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.logins = 0
        #: answer every request with this status (e.g. 503) when set
        self.outage: int | None = None
        self._ids = itertools.count(43556780)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> EPostStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def set_state(self, letter_id: int, **fields) -> None:
        self.states[letter_id].update(fields)

    def by_custom1(self, akte_letter_id) -> int:
        return next(
            i for i, body in self.letters.items() if body.get("custom1") == str(akte_letter_id)
        )

    # --- the API ------------------------------------------------------------------

    def _status(self, letter_id: int) -> dict:
        body = self.letters[letter_id]
        return {
            "letterID": letter_id,
            "fileName": body["fileName"],
            "statusID": 1,
            "custom1": body.get("custom1"),
            **self.states[letter_id],
        }

    def _upload(self, items) -> tuple[int, object]:
        if not isinstance(items, list) or not items:
            return 400, _error("E100", "Es wurde kein Brief übergeben")
        total = 0
        for item in items:
            missing = [key for key in REQUIRED if not item.get(key)]
            if missing:
                return 400, _error("E101", f"Pflichtfeld fehlt: {', '.join(missing)}")
            pdf = base64.b64decode(item["data"], validate=True)
            if not pdf.startswith(b"%PDF-"):
                return 400, _error("E102", "data ist kein PDF")
            if len(pdf) > 20 * 1024 * 1024:
                return 400, _error("E103", "PDF größer als 20 MB")
            if item.get("registeredLetter") not in (None, *REGISTERED):
                return 400, _error("E104", "unbekannte Einschreibenart")
            total += len(pdf)
        if total > 300 * 1024 * 1024:
            return 413, _error("E105", "Anfrage größer als 300 MB")
        answer = []
        with self._lock:
            for item in items:
                letter_id = next(self._ids)
                self.letters[letter_id] = item
                self.states[letter_id] = {}
                answer.append({"fileName": item["fileName"], "letterID": letter_id})
        return 200, answer

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"null")

            def _authorised(self) -> bool:
                header = self.headers.get("Authorization", "")
                return header.startswith("Bearer ") and header[7:] in standin.tokens

            def do_POST(self) -> None:
                standin.requests.append(("POST", self.path))
                if standin.outage:
                    return self._answer(standin.outage, _error("E500", "Wartung"))
                body = self._body()
                if self.path == "/api/Login":
                    if body != LOGIN:
                        return self._answer(401, _error("E001", "Anmeldung fehlgeschlagen"))
                    token = secrets.token_hex(16)
                    standin.tokens.add(token)
                    standin.logins += 1
                    return self._answer(200, {"token": token})
                if not self._authorised():
                    return self._answer(401, _error("E002", "Token ungültig"))
                if self.path == "/api/Letter":
                    return self._answer(*standin._upload(body))
                if self.path == "/api/Letter/StatusQuery":
                    return self._answer(
                        200, [standin._status(int(i)) for i in body if int(i) in standin.letters]
                    )
                return self._answer(404, _error("E404", "unbekannt"))

            def do_GET(self) -> None:
                standin.requests.append(("GET", self.path))
                if not self._authorised():
                    return self._answer(401, _error("E002", "Token ungültig"))
                prefix = "/api/Letter/"
                if self.path.startswith(prefix) and self.path[len(prefix) :].isdigit():
                    letter_id = int(self.path[len(prefix) :])
                    if letter_id in standin.letters:
                        return self._answer(200, standin._status(letter_id))
                return self._answer(404, _error("E404", "unbekannt"))

        return Handler


def _error(code: str, description: str) -> dict:
    return {"level": "Error", "code": code, "description": description}
