"""Takes the README's console screenshots: the `make run` demo on free ports, photographed by Debian's Chromium.

    .venv/bin/python -m docs.console.take_screenshots

Starts its own Azurite, sandbox (demo customers) and development host, records the demo book, and writes
docs/console/*.png. Chinese text needs a CJK font on the machine (e.g. `apt-get install fonts-wqy-microhei`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from playwright.sync_api import sync_playwright

from lib.azurite_process import start_azurite
from lib.partner_center.sandbox.seed import demo_customer_id
from lib.partner_center.sandbox.server import start_background
from tests.fixtures.azurite import start_devhost

OUT = Path(__file__).parent
PAGES = [  # (file, path under /api/console, language, height): kept small, they live in the repo
    ("at-risk.png", "?sort=days", "zh-CN", 480),
    ("customer.png", f"/customers/{demo_customer_id(8)}", "en", 600),
    ("unmatched.png", "/unmatched", "en", 300),
    ("cases.png", "/cases", "en", 300),
    ("policy.png", "/policy", "zh-CN", 360),
    ("proposals.png", "/proposals", "en", 420),
]


def main() -> int:
    azurite = start_azurite()
    sandbox = start_background(demo=True)
    env = {"AzureWebJobsStorage": azurite.connection_string, "CSPGUARD_TABLE_PREFIX": f"s{uuid.uuid4().hex[:8]}",
           "PARTNER_CENTER_BASE_URL": sandbox.url, "PARTNER_CENTER_STATIC_TOKEN": "sandbox-token",
           "ENFORCEMENT_MODE": "enforce"}
    host = start_devhost(env, "--no-timers", "--no-queues")
    try:
        cli = str(Path(sys.executable).with_name("csp-guard"))
        seed_env = {**os.environ, **env, "CSPGUARD_FUNCTION_KEY": host.function_key}
        subprocess.run([cli, "seed-demo"], env=seed_env, check=True)  # noqa: S603
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 720})
            base = f"{host.url}/api/console"
            page.goto(f"{base}?code={host.function_key}")
            for name, path, lang, height in PAGES:
                page.goto(f"{base}?lang={lang}")
                page.goto(f"{base}{path}")
                page.screenshot(path=str(OUT / name), clip={"x": 0, "y": 0, "width": 1100, "height": height})
                print(f"wrote {OUT / name}")
            browser.close()
    finally:
        host.stop()
        sandbox.stop()
        azurite.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
