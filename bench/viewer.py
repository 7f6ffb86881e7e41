"""The document viewer over a home-office line: first page vs the whole file.

A scan-like archive PDF (noisy grey JPEG pages, rewritten as ingest rewrites archives:
linearised, balanced page tree) is opened in headless Chromium with the network throttled
to a VPN line (default 20 Mbit/s, 40 ms latency, Chromium's own emulation). Printed per
opened page: time until the page is drawn, bytes of the file received before that, and the
JS heap; and, in the same run on the same throttled line, the time to fetch the whole file
(what the browser's built-in viewer needed before page 1). Ratios are against that.

Run: ``python -m bench.viewer [--pages 200] [--open 1,150] [--mbit 20] [--latency 40]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from akte.core.database import session_scope
from akte.documents.models import DocumentVersion
from akte.users.models import Role
from tests.builders import PASSWORD, make_case_file, make_org_unit, make_tenant, make_user
from tests.search.conftest import add_document
from tests.web.live import CHROMIUM, CHROMIUM_ARGS, live_server
from tests.web.test_viewer_browser import scan_pdf

WHOLE = """async (url) => {
    const t0 = performance.now();
    const r = await fetch(url, {cache: 'no-store'});
    const n = (await r.arrayBuffer()).byteLength;
    return [performance.now() - t0, n];
}"""
RECEIVED = """(mark) => {
    const at = performance.getEntriesByName(mark)[0].startTime;
    const parts = performance.getEntriesByType('resource')
        .filter(e => e.name.includes('/content?') && e.responseEnd <= at);
    const lib = performance.getEntriesByType('resource')
        .filter(e => e.name.includes('/static/pdfjs/'))
        .reduce((m, e) => Math.max(m, e.responseEnd), 0);
    return [at, parts.reduce((s, e) => s + e.encodedBodySize, 0), parts.length, lib];
}"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--open", default="1,150")
    parser.add_argument("--mbit", type=float, default=20)
    parser.add_argument("--latency", type=float, default=40)
    args = parser.parse_args()
    targets = [int(n) for n in args.open.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-viewer-") as tmp:
        started = time.perf_counter()
        data = scan_pdf(args.pages, Path(tmp))
        print(
            f"archive: {args.pages} pages, {len(data) / 1e6:.1f} MB "
            f"(built in {time.perf_counter() - started:.0f} s)"
        )
        (Path(tmp) / "data").mkdir()
        with live_server(Path(tmp) / "data") as server:
            blob = server.ctx.storage.put_bytes(data)
            with session_scope(server.ctx.session_factory) as session:
                tenant = make_tenant(session)
                unit = make_org_unit(session, tenant)
                user = make_user(session, tenant, Role.caseworker, (unit,))
                case_file = make_case_file(session, tenant, unit)
                document = add_document(
                    session,
                    case_file,
                    title="Scan",
                    pages=[f"Seite {n}" for n in range(1, args.pages + 1)],
                )
                version = session.query(DocumentVersion).filter_by(document_id=document.id).one()
                version.sha256 = version.archive_sha256 = blob.sha256
                version.size = blob.size
                username, document_id = user.username, document.id
            _measure(server.url, username, document_id, targets, args, len(data))


def _measure(
    url: str,
    username: str,
    document_id: object,
    targets: list[int],
    args: argparse.Namespace,
    size: int,
) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        page.set_default_timeout(600_000)
        page.goto(f"{url}/login")
        page.get_by_label("Benutzername").fill(username)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_url("**/app/**")
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        rate = args.mbit * 1e6 / 8
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": args.latency,
                "downloadThroughput": rate,
                "uploadThroughput": rate,
            },
        )
        cdp.send("Performance.enable")
        content = f"/app/documents/{document_id}/content?rendition=archive&inline=true"
        print(f"line: {args.mbit:g} Mbit/s, {args.latency:g} ms latency")
        # the first open also fetches PDF.js (cold); later ones find it in the cache (warm)
        for round_no, target in enumerate([targets[0], *targets]):
            label = "cold" if round_no == 0 else "warm"
            page.goto(f"{url}/app/documents/{document_id}?page={target}")
            page.wait_for_selector(f'#pdfviewer[data-rendered="{target}"]', state="attached")
            first, received, requests, lib = page.evaluate(RECEIVED, f"akte-page-{target}")
            nav = page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd")
            heap = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            print(
                f"{label} page {target:>4}: drawn {first / 1000:6.2f} s after navigation "
                f"(HTML at {nav / 1000:.2f} s, PDF.js at {lib / 1000:.2f} s), "
                f"{received / 1e6:6.2f} MB in "
                f"{requests} requests = {received / size:.1%} of the file, "
                f"JS heap {heap.get('JSHeapUsedSize', 0) / 1e6:.0f} MB"
            )
        whole_ms, whole_bytes = page.evaluate(WHOLE, url + content)
        print(
            f"whole file: {whole_bytes / 1e6:.2f} MB in {whole_ms / 1000:.2f} s "
            "(what the browser's own viewer fetched before page 1)"
        )
        browser.close()


if __name__ == "__main__":
    main()
