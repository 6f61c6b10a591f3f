"""The web console's generated code (``web/src/lib/generated/``: both APIs' TypeScript types and
the currency table) is what ``npm run gen:api`` makes from the apps as they are now: change a
route or schema without regenerating, and this fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from infra import web_console

GENERATED_DIR = web_console.WEB_DIR / "src" / "lib" / "generated"
GENERATED = ("write-api.ts", "read-api.ts", "currencies.json")


def test_the_committed_api_types_and_currency_table_are_current(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "Node is needed (infra/scripts/install.sh)"
    subprocess.run(
        [node, "scripts/gen-api.mjs", "--out", str(tmp_path)],
        cwd=web_console.WEB_DIR,
        env=os.environ | {"PYTHON": sys.executable},
        check=True,
        capture_output=True,
        timeout=120,
    )
    stale = [
        name
        for name in GENERATED
        if (tmp_path / name).read_text() != (GENERATED_DIR / name).read_text()
    ]
    assert not stale, f"out of date: {stale}; run `npm run gen:api` in web/ and commit the result"
