"""OCR end to end: upload through the API, wait for ``ready``, read ``/pages``; against
bare Tesseract on the same page images in the same run.

    .venv/bin/python -m bench.ocr --e2e [--per-kind 3] [--rounds 2] [--worker-processes 0]

Page kinds (A4, 300 dpi, known text): ``clean`` (grey PNG), ``noisy`` (grey PNG, 3 %
salt-and-pepper, tilted 2°), ``rotated`` (grey PNG turned 90°) and ``fax`` (bitonal G4
TIFF). Every page is its own single-page upload, as scans arrive at a jobcenter.

akte runs as a real server on the embedded backend (SQLite and a blob folder): by default
as ``akte serve`` does (the worker in the API process, ``--worker-processes 0``), or with
``akte worker --processes N`` beside a server without its own worker. The time is first
upload → last ``ready``; CPU is the server's and the workers' (their Tesseract children
included). The baseline is ``tesseract IMAGE out --psm 1 -l LANGS txt`` (``--psm 1``:
orientation detection included, as akte needs it) with as many processes at a time as
akte has cores, on the same files. Runs alternate; the best of each is used. The
character error rate (CER) per kind is printed for both.
"""

from __future__ import annotations

import contextlib
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
from PIL import Image, ImageDraw, ImageFont

from akte.core.migrations import upgrade
from bench.ocr import FONT, WORDS
from ingest.images import rotate
from tests.infra.ports import free_port, wait_for_port
from tests.ingest import samples
from tests.ingest.samples import add_noise, cer

PASSWORD = "bench-password-123"
KINDS = (
    "clean",
    "noisy",
    "rotated",
    "fax",
    "tilted-14",
    "jpeg-q12",
    "bleed",
    "stamp",
    "scribbles",
)


def page_with_text(seed: int) -> tuple[Image.Image, str]:
    """An A4 page of German words at 12 pt and its text."""
    rng = random.Random(seed)
    image = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(FONT, 44)
    lines = []
    y = 220
    while y < 3200:
        line: list[str] = []
        while draw.textlength(" ".join([*line, "Bedarfsgemeinschaft"]), font=face) < 2000:
            line.append(rng.choice(WORDS))
        text = " ".join(line)
        draw.text((200, y), text, font=face, fill=0)
        lines.append(text)
        y += 72
    return image, "\n".join(lines)


def make_file(kind: str, seed: int, folder: Path) -> tuple[Path, str]:
    page, text = page_with_text(seed)
    suffix = {"fax": "tif", "jpeg-q12": "jpg"}.get(kind, "png")
    path = folder / f"{kind}-{seed}.{suffix}"
    if kind == "noisy":
        page = add_noise(rotate(page, 2.0), amount=0.03, seed=seed)
    elif kind == "rotated":
        page = rotate(page, 90)
    elif kind == "tilted-14":
        page = samples.tilted(page, 14.0)
    elif kind == "bleed":
        page = samples.bleed_through(page, page_with_text(seed + 50)[1].splitlines())
    elif kind == "stamp":
        page = samples.stamped(page, seed=seed)
    elif kind == "scribbles":
        page = samples.margin_scribbles(page, seed=seed)
    if kind == "jpeg-q12":
        path.write_bytes(samples.jpeg_artefacts(page, quality=12))
    elif kind == "fax":
        page.convert("1", dither=Image.Dither.NONE).save(path, compression="group4", dpi=(300, 300))
    else:
        page.save(path, dpi=(300, 300))
    return path, text


def _cpu(proc: psutil.Process) -> float:
    """CPU seconds of a process and its finished, waited-for children."""
    with contextlib.suppress(psutil.Error):
        t = proc.cpu_times()
        return t.user + t.system + t.children_user + t.children_system
    return 0.0


def _own_children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def baseline(
    files: list[Path], processes: int, langs: str, out: Path
) -> tuple[float, float, dict[Path, str]]:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    texts: dict[Path, str] = {}

    def one(path: Path) -> None:
        base = out / path.stem
        subprocess.run(
            ["tesseract", str(path), str(base), "--psm", "1", "-l", langs, "txt"],
            check=True,
            capture_output=True,
            env=env,
        )
        texts[path] = base.with_suffix(".txt").read_text(encoding="utf-8")

    before = _own_children_cpu()
    started = time.perf_counter()
    with ThreadPoolExecutor(processes) as pool:
        list(pool.map(one, files))
    return time.perf_counter() - started, _own_children_cpu() - before, texts


class Akte:
    """A real akte server (and optionally separate workers) on a fresh embedded backend."""

    def __init__(self, work: Path, worker_processes: int, langs: str) -> None:
        self.stack = contextlib.ExitStack()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AKTE_")}
        env.update(
            AKTE_DATA_DIR=str(work / "data"),
            AKTE_NEW_PASSWORD=PASSWORD,
            AKTE_INPROCESS_WORKER="false" if worker_processes else "true",
        )
        (work / "data").mkdir()
        os.environ.update({k: v for k, v in env.items() if k.startswith("AKTE_")})
        from akte.core.settings import Settings

        upgrade(Settings().effective_database_url)
        akte = str(Path(sys.executable).parent / "akte")
        for args in (
            ["admin", "create-tenant", "bench", "Bench"],
            ["admin", "create-org-unit", "bench", "LB", "Leistung"],
            [
                "admin",
                "create-user",
                "bench-sb",
                "caseworker",
                "--tenant",
                "bench",
                "--org-unit",
                "LB",
            ],
        ):
            subprocess.run([akte, *args], env=env, check=True, capture_output=True)
        self._set_languages(langs)
        port = free_port()
        self.procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "akte.asgi:app",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                ],
                env=env,
            )
        ]
        if worker_processes:
            self.procs.append(
                subprocess.Popen([akte, "worker", "--processes", str(worker_processes)], env=env)
            )
        for proc in self.procs:
            self.stack.callback(proc.wait, 30)
            self.stack.callback(proc.terminate)
        if not wait_for_port(port, 300):  # a loaded shared machine starts slowly
            self.stack.close()
            raise RuntimeError("the akte server did not start within 300 s")
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600)
        token = self.client.post(
            "/api/v1/auth/token", data={"username": "bench-sb", "password": PASSWORD}
        ).json()
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}
        me = self.client.get("/api/v1/auth/me", headers=self.headers).json()
        self.org_unit = me["org_unit_ids"][0]
        self.case_files = 0
        self.archive_ratio: dict[Path, float] = {}

    @staticmethod
    def _set_languages(langs: str) -> None:
        """The tenant reads with the baseline's languages (tenant option ``ocr_languages``)."""
        from sqlalchemy import create_engine, select
        from sqlalchemy.orm import Session

        from akte.core.settings import Settings
        from akte.tenants.models import Tenant

        engine = create_engine(Settings().effective_database_url)
        with Session(engine) as session, session.begin():
            tenant = session.scalars(select(Tenant).where(Tenant.slug == "bench")).one()
            tenant.options = {**(tenant.options or {}), "ocr_languages": langs.split("+")}
        engine.dispose()

    def cpu(self) -> float:
        total = 0.0
        for proc in self.procs:
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(proc.pid)
                total += _cpu(root) + sum(_cpu(child) for child in root.children(recursive=True))
        return total

    def run(self, files: list[Path]) -> tuple[float, float, dict[Path, str]]:
        """Upload every file, wait until all are ready; wall and CPU seconds, page texts."""
        self.case_files += 1
        case_file = self.client.post(
            "/api/v1/case-files",
            headers=self.headers,
            json={"aktenzeichen": f"AZ-BENCH-{self.case_files}", "org_unit_id": self.org_unit},
        ).json()
        before = self.cpu()
        started = time.perf_counter()
        ids: dict[str, Path] = {}
        for path in files:
            response = self.client.post(
                f"/api/v1/case-files/{case_file['id']}/documents",
                files={"file": (path.name, path.read_bytes())},
                headers=self.headers,
            )
            assert response.status_code == 201, response.text
            ids[response.json()["id"]] = path
        waiting = set(ids)
        while waiting:  # one list request per half second: the poll costs the server little
            time.sleep(0.5)
            listed = self.client.get(
                f"/api/v1/case-files/{case_file['id']}/documents",
                params={"size": 100},
                headers=self.headers,
            ).json()
            for item in listed["items"]:
                if item["id"] in waiting and item["status"] in ("ready", "failed"):
                    assert item["status"] == "ready", (ids[item["id"]], item["status_reason"])
                    waiting.discard(item["id"])
        elapsed = time.perf_counter() - started
        cpu = self.cpu() - before
        texts = {}
        for document_id, path in ids.items():
            pages = self.client.get(
                f"/api/v1/documents/{document_id}/pages", headers=self.headers
            ).json()
            texts[path] = "\n".join(page["text"] for page in pages)
            # The whole archive file is the content route's ``archive`` rendition
            # (``/documents/{id}/archive`` cuts pages out of it and needs ``pages``).
            archive = self.client.get(
                f"/api/v1/documents/{document_id}/content",
                params={"rendition": "archive"},
                headers=self.headers,
            )
            assert archive.status_code == 200, (path, archive.status_code, archive.text[:200])
            self.archive_ratio[path] = len(archive.content) / path.stat().st_size
        return elapsed, cpu, texts

    def close(self) -> None:
        self.client.close()
        self.stack.close()


def main(per_kind: int, rounds: int, worker_processes: int, langs: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="akte-bench-ocr-e2e-"))
    cores = worker_processes or os.cpu_count() or 1
    try:
        files: list[Path] = []
        truth: dict[Path, str] = {}
        for kind in KINDS:
            for seed in range(per_kind):
                path, text = make_file(kind, 100 * KINDS.index(kind) + seed, work)
                files.append(path)
                truth[path] = text
        (work / "base").mkdir()
        baseline(files[:1], 1, langs, work / "base")  # warm the traineddata cache
        akte = Akte(work, worker_processes, langs)
        try:
            akte.run(files[:1])  # warm the server (imports, first connection)
            results: dict[str, list[tuple[float, float, dict[Path, str]]]] = {
                "tesseract": [],
                "akte": [],
            }
            loads = []
            for _ in range(rounds):
                results["tesseract"].append(baseline(files, cores, langs, work / "base"))
                results["akte"].append(akte.run(files))
                loads.append(os.getloadavg()[0])
            archive_ratio = dict(akte.archive_ratio)
        finally:
            akte.close()
        pages = len(files)
        best = {
            key: (min(r[0] for r in runs), min(r[1] for r in runs), runs[-1][2])
            for key, runs in results.items()
        }
        setup = (
            f"akte worker --processes {worker_processes}"
            if worker_processes
            else "embedded default (worker in the API process)"
        )
        print(
            f"{pages} single-page uploads ({per_kind} per kind: {', '.join(KINDS)}), "
            f"A4 300 dpi; akte: {setup}; bare: tesseract --psm 1 -l {langs}, {cores} "
            f"processes; {os.cpu_count()} cores; best of {rounds} alternating rounds; "
            f"load average after each round {', '.join(f'{v:.1f}' for v in loads)}"
        )
        for key in ("tesseract", "akte"):
            wall, cpu, _ = best[key]
            runs = ", ".join(f"{r[0]:.1f}" for r in results[key])
            print(
                f"  {key:10s} {pages / wall * 60:6.1f} pages/min wall (runs: {runs} s); "
                f"{cpu / pages:.2f} CPU s/page"
            )
        wall_ratio = best["tesseract"][0] / best["akte"][0]
        cpu_ratio = best["tesseract"][1] / best["akte"][1]
        print(
            f"  ratio akte / bare tesseract (throughput): wall {wall_ratio:.2f}, "
            f"CPU-based {cpu_ratio:.2f}  (target ≥ 0.85)"
        )
        print("  mean CER per kind     akte    tesseract")
        for kind in KINDS:
            chosen = [f for f in files if f.name.startswith(kind + "-")]
            row = []
            for key in ("akte", "tesseract"):
                texts = best[key][2]
                row.append(sum(cer(truth[f], texts[f]) for f in chosen) / len(chosen))
            ratios = [archive_ratio[f] for f in chosen if f in archive_ratio]
            size = f"archive ÷ scan {max(ratios):.2f}" if ratios else ""
            print(f"  {kind:20s} {row[0] * 100:6.2f} %  {row[1] * 100:6.2f} %   {size}")
        overall = [
            sum(cer(truth[f], best[key][2][f]) for f in files) / len(files)
            for key in ("akte", "tesseract")
        ]
        print(f"  {'all pages':20s} {overall[0] * 100:6.2f} %  {overall[1] * 100:6.2f} %")
        if archive_ratio:
            total = sum(archive_ratio.values()) / len(archive_ratio)
            print(f"  archive ÷ scan: mean {total:.2f}, largest {max(archive_ratio.values()):.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
