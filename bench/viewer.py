"""The document viewer over a home-office line: first page vs the whole file.

A scan-like archive PDF (noisy grey JPEG pages, rewritten as ingest rewrites archives:
linearised, balanced page tree) is opened in headless Chromium with the network throttled
to a VPN line (default 20 Mbit/s, 40 ms latency, Chromium's own emulation). Printed per
opened page: time until the page is drawn, bytes of the file received before that, and the
JS heap; and, in the same run on the same throttled line, the time to fetch the whole file
(what the browser's built-in viewer needed before page 1). Ratios are against that.

Renderer memory against page count: for each file (``--pages 200,1000``) a fresh browser
tab opens the pages and then pages through ``--flip`` more; printed are the page's JS heap
(CDP ``Performance.getMetrics``: ``JSHeapUsedSize``, the page only, not PDF.js's worker)
and the resident memory of the tab's renderer process (``VmRSS`` from ``/proc``: the page,
the PDF.js worker thread, decoded images and canvases), with the ratio to the first file.

Run: ``python -m bench.viewer [--pages 200,1000] [--open 1,150] [--flip 20] [--mbit 20]
[--latency 40]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
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


@dataclass
class Opened:
    pages: int
    size: int
    heap: float
    renderer: float


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                parent = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def renderer_rss() -> float:
    """The largest resident size (bytes) of this bench's Chromium renderer processes: one
    tab is open, and the spare renderer Chromium keeps is small."""
    largest = 0
    for pid in _descendants(os.getpid()):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if b"--type=renderer" not in fh.read():
                    continue
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        largest = max(largest, int(line.split()[1]) * 1024)
        except OSError:
            continue
    return float(largest)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", default="200,1000")
    parser.add_argument("--open", default="1,150")
    parser.add_argument("--flip", type=int, default=20)
    parser.add_argument("--mbit", type=float, default=20)
    parser.add_argument("--latency", type=float, default=40)
    args = parser.parse_args()
    counts = [int(n) for n in args.pages.split(",")]
    print(f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())} (shared machine)")
    with tempfile.TemporaryDirectory(prefix="bench-viewer-") as tmp:
        files: list[tuple[int, bytes]] = []
        for count in counts:
            started = time.perf_counter()
            (Path(tmp) / str(count)).mkdir()
            data = scan_pdf(count, Path(tmp) / str(count))
            files.append((count, data))
            print(
                f"archive: {count} pages, {len(data) / 1e6:.1f} MB "
                f"(built in {time.perf_counter() - started:.0f} s)"
            )
        (Path(tmp) / "data").mkdir()
        with live_server(Path(tmp) / "data") as server:
            documents = []
            with session_scope(server.ctx.session_factory) as session:
                tenant = make_tenant(session)
                unit = make_org_unit(session, tenant)
                user = make_user(session, tenant, Role.caseworker, (unit,))
                case_file = make_case_file(session, tenant, unit)
                for count, data in files:
                    blob = server.ctx.storage.put_bytes(data)
                    document = add_document(
                        session,
                        case_file,
                        title=f"Scan {count}",
                        pages=[f"Seite {n}" for n in range(1, count + 1)],
                    )
                    version = (
                        session.query(DocumentVersion).filter_by(document_id=document.id).one()
                    )
                    version.sha256 = version.archive_sha256 = blob.sha256
                    version.size = blob.size
                    documents.append((count, document.id, len(data)))
                username = user.username
            results = [
                _measure(
                    server.url,
                    username,
                    document_id,
                    [min(t, count) for t in targets(args.open, count)],
                    args,
                    size,
                    count,
                )
                for count, document_id, size in documents
            ]
    first = results[0]
    print("renderer memory against page count (bounded is the goal):")
    for r in results:
        print(
            f"{r.pages:>6} pages ({r.size / 1e6:6.1f} MB): JS heap {r.heap / 1e6:5.1f} MB "
            f"(x{r.heap / first.heap:.2f}), renderer process {r.renderer / 1e6:6.1f} MB "
            f"(x{r.renderer / first.renderer:.2f}) after opening and {args.flip} pages more"
        )


def targets(spec: str, count: int) -> list[int]:
    """``--open`` with page numbers past the end read as "the same share of the file"."""
    found = []
    for item in spec.split(","):
        number = int(item)
        found.append(number if number <= count else max(1, count * 3 // 4))
    return found


def _measure(
    url: str,
    username: str,
    document_id: object,
    targets: list[int],
    args: argparse.Namespace,
    size: int,
    count: int,
) -> Opened:
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
        print(
            f"{count} pages, {size / 1e6:.1f} MB; line: {args.mbit:g} Mbit/s, {args.latency:g} ms"
        )
        # the first open also fetches PDF.js (cold); later ones find it in the cache (warm)
        for round_no, target in enumerate([targets[0], *targets]):
            label = "cold" if round_no == 0 else "warm"
            page.goto(f"{url}/app/documents/{document_id}?page={target}")
            page.wait_for_selector(f'#pdfviewer[data-rendered="{target}"]', state="attached")
            first, received, requests, lib = page.evaluate(RECEIVED, f"akte-page-{target}")
            nav = page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd")
            heap = _heap(cdp)
            print(
                f"{label} page {target:>4}: drawn {first / 1000:6.2f} s after navigation "
                f"(HTML at {nav / 1000:.2f} s, PDF.js at {lib / 1000:.2f} s), "
                f"{received / 1e6:6.2f} MB in "
                f"{requests} requests = {received / size:.1%} of the file, "
                f"JS heap {heap / 1e6:.0f} MB, renderer {renderer_rss() / 1e6:.0f} MB"
            )
        # paging on from the last page opened: each page drawn, thumbnails in view drawn
        at = targets[-1]
        for _ in range(args.flip):
            if at >= count:
                break
            at += 1
            page.get_by_role("button", name="Nächste Seite").click()
            page.wait_for_selector(f'#pdfviewer[data-rendered="{at}"]', state="attached")
        cdp.send("HeapProfiler.collectGarbage")
        time.sleep(1)
        opened = Opened(count, size, _heap(cdp), renderer_rss())
        print(
            f"after paging to page {at}: JS heap {opened.heap / 1e6:.0f} MB, "
            f"renderer {opened.renderer / 1e6:.0f} MB"
        )
        whole_ms, whole_bytes = page.evaluate(WHOLE, url + content)
        print(
            f"whole file: {whole_bytes / 1e6:.2f} MB in {whole_ms / 1000:.2f} s "
            "(what the browser's own viewer fetched before page 1)"
        )
        browser.close()
        return opened


def _heap(cdp: object) -> float:
    metrics = cdp.send("Performance.getMetrics")["metrics"]  # type: ignore[attr-defined]
    return float({m["name"]: m["value"] for m in metrics}.get("JSHeapUsedSize", 0))


if __name__ == "__main__":
    main()
