"""A real OpenID Provider for the tests: ``oidc-provider`` from the npm registry on Node.js.

``make test`` installs the package under ``.cache/node`` (as it does axe-core); this module
installs it there too when it is missing, writes a configuration of clients and users, and
starts ``tests/infra/oidc_provider.mjs`` on a free loopback port for the session. The users
live in a JSON file the provider reads on every login, so a test can disable a user or move
them to another group while the provider runs (:meth:`OidcProvider.set_account`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import httpx

from tests.infra.ports import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / ".cache" / "node"
MODULE = NODE_DIR / "node_modules" / "oidc-provider" / "lib" / "index.js"
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
CLIENT_ID = "akte-test"
CLIENT_SECRET = "akte-test-client-secret-0123456789"
#: A client of the same realm that fetches access tokens for akte's API (a command-line
#: tool, a Fachverfahren acting for a person), and the API's resource indicator.
API_CLIENT_ID = "akte-cli"
API_CLIENT_SECRET = "akte-cli-secret-0123456789abcdef"
API_CLIENT_REDIRECT = "http://127.0.0.1:9/cb"
#: A client that fetches access tokens for itself (client credentials): a service account
#: (an importer, a Fachverfahren) authenticating at the tenant's provider.
SERVICE_CLIENT_ID = "akte-importer-client"
SERVICE_CLIENT_SECRET = "akte-importer-client-secret-0123456789"
API_RESOURCE = "urn:akte:api"
#: Where akte's callback lives for TestClient requests (``http://testserver``).
REDIRECT_URI = "http://testserver/sso/callback"
#: Clients whose ID tokens the provider makes unacceptable, each in one way a real provider
#: can: ID tokens that live 5 seconds (a test moves akte's clock past them), and ID tokens
#: issued to another application (``API_CLIENT_ID``) than the client that asked.
BRIEF_CLIENT_ID = "akte-brief-id-tokens"
MISADDRESSED_CLIENT_ID = "akte-misaddressed-id-tokens"
BRIEF_ID_TOKEN_SECONDS = 5


class _LogoutReceiver(ThreadingHTTPServer):
    """Where the provider POSTs back-channel logout tokens (akte itself runs in-process in
    the tests, out of the provider's reach): the test hands them on to akte's endpoint."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.tokens.extend(parse_qs(body.decode()).get("logout_token", []))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@dataclass
class OidcProvider:
    issuer: str
    accounts_file: Path
    process: subprocess.Popen | None = None
    accounts: dict[str, dict] = field(default_factory=dict)
    receiver: _LogoutReceiver | None = None

    def logout_tokens(self) -> list[str]:
        """The back-channel logout tokens the provider sent since the last call."""
        assert self.receiver is not None
        tokens, self.receiver.tokens = self.receiver.tokens, []
        return tokens

    def set_account(
        self,
        login: str,
        *,
        password: str = "pw",  # noqa: S107
        groups: list[str] | None = None,
        disabled: bool = False,
        acr: str | None = None,
        amr: list[str] | None = None,
        **claims: object,
    ) -> None:
        """Create or change a user of the provider (takes effect at their next login).
        ``acr``/``amr``: how the provider says the person authenticated (a second factor
        or not), put into the ID token of their next login."""
        self.accounts[login] = {
            "password": password,
            "disabled": disabled,
            "acr": acr,
            "amr": amr,
            "claims": {
                "preferred_username": login,
                "name": f"Person {login}",
                "groups": groups or [],
                **claims,
            },
        }
        tmp = self.accounts_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.accounts))
        tmp.replace(self.accounts_file)


def _ensure_module() -> None:
    if MODULE.exists():
        return
    npm = shutil.which("npm")
    if not npm:
        raise RuntimeError("npm not found: ./scripts/install-system-deps.sh --test installs it")
    subprocess.run(
        [npm, "install", "--silent", "--prefix", str(NODE_DIR), "oidc-provider@9"], check=True
    )


def _login_client(client_id: str, redirect_uris: list[str], **extra: object) -> dict:
    return {
        "client_id": client_id,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": redirect_uris,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        **extra,
    }


@contextmanager
def oidc_provider(redirect_uris: tuple[str, ...] = ()) -> Iterator[OidcProvider]:
    """The provider, its clients registered for akte's callback at ``http://testserver``
    and at ``redirect_uris`` (a live server's)."""
    _ensure_module()
    node = shutil.which("node")
    if not node:
        raise RuntimeError("node not found: Node.js is needed for the test OpenID Provider")
    workdir = Path(tempfile.mkdtemp(prefix="akte-oidc-"))
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    provider = OidcProvider(issuer, workdir / "accounts.json", receiver=_LogoutReceiver())
    threading.Thread(target=provider.receiver.serve_forever, daemon=True).start()
    provider.accounts_file.write_text("{}")
    config = {
        "port": port,
        "issuer": issuer,
        "module": str(MODULE),
        "accounts_file": str(provider.accounts_file),
        "api_resource": API_RESOURCE,
        "clients": [
            {
                "client_id": SERVICE_CLIENT_ID,
                "client_secret": SERVICE_CLIENT_SECRET,
                "redirect_uris": [],
                "grant_types": ["client_credentials"],
                "response_types": [],
                "token_endpoint_auth_method": "client_secret_basic",
            },
            {
                "client_id": API_CLIENT_ID,
                "client_secret": API_CLIENT_SECRET,
                "redirect_uris": [API_CLIENT_REDIRECT],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_basic",
            },
            _login_client(
                CLIENT_ID,
                [REDIRECT_URI, *redirect_uris],
                backchannel_logout_uri=f"http://127.0.0.1:{provider.receiver.server_port}/sso/backchannel-logout",
                backchannel_logout_session_required=True,
            ),
            _login_client(BRIEF_CLIENT_ID, [REDIRECT_URI], id_token_ttl=BRIEF_ID_TOKEN_SECONDS),
            _login_client(MISADDRESSED_CLIENT_ID, [REDIRECT_URI], id_token_audience=API_CLIENT_ID),
        ],
    }
    (workdir / "config.json").write_text(json.dumps(config))
    log = (workdir / "oidc.log").open("ab")
    provider.process = subprocess.Popen(
        [node, str(SCRIPT), str(workdir / "config.json")],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=workdir,
    )
    try:
        if not wait_for_port(port, 60) or not _ready(issuer):
            raise RuntimeError(f"OpenID Provider did not start; see {workdir / 'oidc.log'}")
        yield provider
    finally:
        provider.receiver.shutdown()
        provider.process.terminate()
        try:
            provider.process.wait(10)
        except subprocess.TimeoutExpired:
            provider.process.kill()
            provider.process.wait(5)
        shutil.rmtree(workdir, ignore_errors=True)


def _ready(issuer: str, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).is_success:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False
