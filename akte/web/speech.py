"""Portal texts read aloud on the server, with espeak-ng, for browsers without a voice.

A portal page reads its own texts aloud (``static/portal_speech.js``): with the browser's
speech synthesis where it has a voice on the device for the page's language, otherwise by
playing the audio of each text from ``GET /upload/speech/{lang}/{key}``, which this module
renders. Only the portal's own texts (catalogue keys) are spoken, never what the citizen or
the office wrote (file names, Aktenzeichen, tenant texts): so no personal data goes to a
speech service, and the audio of a text is the same for everyone and can be cached.

Cache: one WAV per (voice, text) under ``<data_dir>/speech``, named by the SHA-256 of both,
written atomically; at most :data:`CACHE_FILES` files (the oldest go first), which is more
than the keys × languages there are, so it only prunes after the texts change.

espeak-ng (Debian ``espeak-ng``) speaks German, English, Arabic, Farsi and Urdu, not
Tigrinya: for Tigrinya the button is shown only where the browser has a voice.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

#: Portal language -> espeak-ng voice.
VOICES = {"de": "de", "en": "en-gb", "ar": "ar", "fa": "fa", "ur": "ur", "ti": "ti"}
CACHE_FILES = 2000
TIMEOUT_SECONDS = 20


class SpeechUnavailable(Exception):
    """No server voice for this language (or espeak-ng is not installed)."""


@cache
def _installed_voices() -> frozenset[str]:
    program = shutil.which("espeak-ng")
    if program is None:
        return frozenset()
    try:
        listing = subprocess.run(
            [program, "--voices"], capture_output=True, text=True, timeout=TIMEOUT_SECONDS
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    # "Pty Language       Age/Gender VoiceName ..." : the second column is the language
    return frozenset(line.split()[1] for line in listing.splitlines()[1:] if len(line.split()) > 1)


def voice(lang: str) -> str | None:
    """The espeak-ng voice for ``lang``, or None where the server cannot speak it."""
    name = VOICES.get(lang)
    return name if name and name in _installed_voices() else None


def audio(data_dir: Path, lang: str, text: str) -> bytes:
    """``text`` spoken in ``lang`` as WAV (cached)."""
    name = voice(lang)
    if name is None or not text.strip():
        raise SpeechUnavailable(lang)
    folder = data_dir / "speech"
    path = folder / (hashlib.sha256(f"{name}\0{text}".encode()).hexdigest() + ".wav")
    if path.is_file():
        return path.read_bytes()
    try:
        spoken = subprocess.run(
            ["espeak-ng", "-v", name, "-s", "150", "--stdout"],
            input=text.encode(),
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise SpeechUnavailable(lang) from exc
    folder.mkdir(parents=True, exist_ok=True)
    _prune(folder)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(spoken)
    os.replace(temporary, path)
    return spoken


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.wav"), key=lambda p: p.stat().st_mtime)
    for old in files[: max(0, len(files) - CACHE_FILES + 1)]:
        old.unlink(missing_ok=True)
