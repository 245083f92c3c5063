"""Child process for crash tests: publish one release, SIGKILL itself right after manifest step N.

usage: python child_publish.py CONFIG.json   (dataset id, state dir, portal url, token env, frame variant, kill_after)
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import polars as pl  # noqa: E402

from kaifang.settings import Settings  # noqa: E402
from publish import manifest  # noqa: E402
from publish.release import build_release, publish_release  # noqa: E402
from tests.publish.helpers import DEID, LINEAGE, QUALITY, QUALITY_HTML, make_dataset, make_frame  # noqa: E402


def main() -> None:
    cfg = json.loads(Path(sys.argv[1]).read_text())
    kill_after = cfg.get("kill_after")
    if kill_after:
        def after_mark(self, step):
            if step == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
        manifest.Manifest.after_mark = after_mark
    settings = Settings(state_dir=Path(cfg["state_dir"]), portal_url=cfg["portal_url"], token_env=cfg["token_env"], store=cfg.get("store"), steward="crash-test")
    ds = make_dataset(Path(cfg["tmp"]), ds_id=cfg["dataset"], open_condition=cfg.get("open_condition", "unconditional"))
    frame = make_frame(cfg.get("rows", 20))
    if cfg.get("variant"):
        frame = frame.with_columns((pl.col("contributors") + cfg["variant"]).alias("contributors"))
    b = build_release(ds, frame, quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings)
    if b is None:
        print(json.dumps({"status": "up-to-date"}))
        return
    if cfg.get("pause"):
        Path(cfg["pause"]).write_text("ready")
        import time

        while not Path(cfg["pause"] + ".go").exists():
            time.sleep(0.05)
    from kaifang.errors import KaifangError

    try:
        r = publish_release(ds, b, settings, delivery=cfg.get("delivery", "upload"))
    except KaifangError as exc:
        print(json.dumps({"error": exc.code, "message": exc.render()}))
        sys.exit(3)
    print(json.dumps(r.to_dict()))


if __name__ == "__main__":
    main()
