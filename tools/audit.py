"""Lighthouse on the built site, served compressed on 127.0.0.1 as GitHub Pages serves it.

Runs the home page, the exemplar derivation (activations) and the heaviest math page (most
formulas) with the mobile and desktop
presets, writes the HTML reports and scores.json into site/reports/lighthouse/, prints a table,
and fails when accessibility, best practices or SEO is below 100 (performance is reported only:
it is noisy on a shared machine).
Usage: python tools/audit.py [SITE_DIR]
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
)
GATED = ("accessibility", "best-practices", "seo")
PRESETS = ("mobile", "desktop")


def heaviest_math_page(site: Path) -> str:
    pages = {
        str(page.parent.relative_to(site)): page.read_text(encoding="utf-8").count('class="katex"')
        for page in site.rglob("index.html")
        if "reports" not in page.parts
    }
    return max(pages, key=pages.get) + "/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_lighthouse(url: str, preset: str, out: Path) -> dict:
    flags = ["--preset=desktop"] if preset == "desktop" else []
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            "--output=html",
            f"--output-path={out}",
            f"--chrome-flags={CHROME_FLAGS}",
            *flags,
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
    )
    report = json.loads(out.with_suffix(".report.json").read_text())
    out.with_suffix(".report.json").unlink()  # keep the HTML report; the scores go to scores.json
    requests = report["audits"]["network-requests"]["details"]["items"]
    return {
        **{key: round(cat["score"] * 100) for key, cat in report["categories"].items()},
        "bytes": report["audits"]["total-byte-weight"]["numericValue"],
        "requests": len(requests),
        "requests_off_127": sum(
            urlsplit(r["url"]).hostname != "127.0.0.1"
            for r in requests
            if not r["url"].startswith("data:")
        ),
    }


def main(site: Path) -> int:
    reports = site / "reports" / "lighthouse"
    reports.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "serve_compressed.py"), str(site), str(port)]
    )
    try:
        time.sleep(1)
        scores = {}
        for page in dict.fromkeys(("", "activations/", heaviest_math_page(site))):
            for preset in PRESETS:
                name = f"{page.strip('/').replace('/', '_') or 'home'}-{preset}"
                scores[name] = run_lighthouse(
                    f"http://127.0.0.1:{port}/{page}", preset, reports / name
                )
    finally:
        server.terminate()
    (reports / "scores.json").write_text(json.dumps(scores, indent=2, sort_keys=True))
    print(f"{'page-preset':32} perf a11y  bp  seo   bytes  off-host")
    for name, s in scores.items():
        print(
            f"{name:32} {s['performance']:4} {s['accessibility']:4} {s['best-practices']:4}"
            f" {s['seo']:4} {s['bytes']:7.0f} {s['requests_off_127']:5}"
        )
    failing = [
        f"{name}: {key} {s[key]}" for name, s in scores.items() for key in GATED if s[key] < 100
    ]
    failing += [
        f"{name}: {s['requests_off_127']} requests off 127.0.0.1"
        for name, s in scores.items()
        if s["requests_off_127"]
    ]
    if failing:
        print("Lighthouse gate failed:\n  " + "\n  ".join(failing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "site")))
