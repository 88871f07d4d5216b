"""Lighthouse on the built site, served compressed on 127.0.0.1 as GitHub Pages serves it.

Runs every page with the mobile and desktop presets, writes the HTML reports, scores.json and
table.md (page × preset: the four scores, DOM elements, bytes transferred) into
site/reports/lighthouse/, prints the table worst first, and fails when accessibility, best
practices or SEO is below 100 anywhere. Performance is reported, not gated: it moves by several
points from run to run on a shared machine, so it is the median of RUNS runs (default 3).
Usage: RUNS=3 python tools/audit.py [SITE_DIR]
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
)
GATED = ("accessibility", "best-practices", "seo")
PRESETS = ("mobile", "desktop")


def every_page(site: Path) -> list[str]:
    """'' for the home page, then 'activations/', 'notebooks/rnn/', …"""
    found = [page.parent.relative_to(site) for page in site.rglob("index.html")]
    return sorted(
        f"{path}/" if str(path) != "." else "" for path in found if "reports" not in path.parts
    )


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
        "dom": report["audits"]["dom-size"]["numericValue"],
        "requests": len(requests),
        "requests_off_127": sum(
            urlsplit(r["url"]).hostname != "127.0.0.1"
            for r in requests
            if not r["url"].startswith("data:")
        ),
    }


RUNS = int(os.environ.get("RUNS", "3"))


def score_table(scores: dict) -> str:
    """Markdown, worst performance first: page, preset, the four scores, DOM elements, bytes."""
    head = "| page | preset | performance | accessibility | best practices | SEO | DOM | bytes |"
    rows = [
        f"| {name.rsplit('-', 1)[0]} | {name.rsplit('-', 1)[1]} | {s['performance']} | "
        f"{s['accessibility']} | {s['best-practices']} | {s['seo']} | "
        f"{s['dom']:.0f} | {s['bytes']:.0f} |"
        for name, s in sorted(scores.items(), key=lambda item: (item[1]["performance"], item[0]))
    ]
    return "\n".join([head, "|---|---|---|---|---|---|---|---|", *rows])


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
        for page in every_page(site):
            for preset in PRESETS:
                name = f"{page.strip('/').replace('/', '_') or 'home'}-{preset}"
                url = f"http://127.0.0.1:{port}/{page}"
                runs = [run_lighthouse(url, preset, reports / name) for _ in range(RUNS)]
                scores[name] = {**runs[-1], "performance": median(r["performance"] for r in runs)}
    finally:
        server.terminate()
    (reports / "scores.json").write_text(json.dumps(scores, indent=2, sort_keys=True))
    table = score_table(scores)
    (reports / "table.md").write_text(table + "\n")
    print(table)
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
