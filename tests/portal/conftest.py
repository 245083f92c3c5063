"""Fixtures for the portal acceptance tests: clients, a generated search corpus, headless Chromium."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "portal"

# Vocabulary of the generated corpus: Chinese and English words in titles/notes, tags, formats…
ZH_TOPICS = ["城乡居民基本养老保险待遇领取人员", "失业保险金申领登记", "医疗保险定点机构名录",
             "公共租赁住房保障对象", "最低生活保障家庭", "企业职工养老保险参保单位", "工伤认定结果公示"]
EN_WORDS = ["pension", "unemployment", "hospital", "housing", "welfare", "insurance", "registry"]
TAGS = ["社保", "民生", "open-data", "annual", "monthly", "district"]
FORMATS = ["CSV", "JSON", "XLSX"]
LICENSES = ["cc-by", "odc-by", "cc-zero", "other-open"]
THEMES = ["social", "health", "housing"]


@pytest.fixture(scope="session")
def sysadmin(portal):
    return portal.client()


@pytest.fixture(scope="session")
def anon(portal):
    return portal.client(anonymous=True)


@dataclass
class Corpus:
    orgs: list[str]
    groups: list[str]
    datasets: list[dict]  # package_show results (sysadmin view)

    @property
    def scope_fq(self) -> str:
        """Restrict a search to this corpus (the portal is shared with other tests)."""
        return "+organization:(" + " OR ".join(self.orgs) + ")"


def _make_dataset(rng: random.Random, i: int, orgs: list[str], groups: list[str], stamp: str) -> dict:
    topic = rng.choice(ZH_TOPICS)
    words = rng.sample(EN_WORDS, 2)
    n_res = rng.randint(0, 3)
    return {
        "name": f"kc-{stamp}-{i:03d}",
        "title": f"{topic} {words[0].title()} {i:03d}",
        "notes": f"{rng.choice(ZH_TOPICS)} — {words[1]} statistics, item {i}.",
        "owner_org": rng.choice(orgs),
        "private": rng.random() < 0.2,
        "license_id": rng.choice(LICENSES),
        "tags": [{"name": t} for t in rng.sample(TAGS, rng.randint(0, 3))],
        "groups": [{"name": g} for g in rng.sample(groups, rng.randint(0, len(groups)))],
        "extras": [{"key": "theme", "value": rng.choice(THEMES)}, {"key": "seq", "value": str(i)}],
        "resources": [{"name": f"part-{j}", "url": f"http://example.invalid/{i}/{j}.dat",
                       "format": rng.choice(FORMATS)} for j in range(n_res)],
    }


@pytest.fixture(scope="session")
def corpus(portal, sysadmin) -> Corpus:
    """≥ 200 generated datasets in 3 fresh organizations and 2 groups (about 20 s to build)."""
    stamp = portal.unique("c").split("-", 1)[1][:8]
    rng = random.Random(20240601)
    orgs = [f"kc-{stamp}-org{k}" for k in range(3)]
    for k, o in enumerate(orgs):
        sysadmin.action.organization_create(name=o, title=f"语料部门 {k} Corpus Dept {k}")
    groups = [f"kc-{stamp}-grp{k}" for k in range(2)]
    for g in groups:
        sysadmin.action.group_create(name=g, title=f"主题 {g}")
    specs = [_make_dataset(rng, i, orgs, groups, stamp) for i in range(210)]

    def create(spec: dict) -> str:
        return portal.client().action.package_create(**spec)["id"]

    with ThreadPoolExecutor(max_workers=3) as pool:
        ids = list(pool.map(create, specs))

    def show(pid: str) -> dict:
        return portal.client().action.package_show(id=pid)

    with ThreadPoolExecutor(max_workers=3) as pool:
        shown = list(pool.map(show, ids))
    return Corpus(orgs=orgs, groups=groups, datasets=shown)


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _has_cjk_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    return bool(out.strip())


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless-capable Chromium; installs Debian's ``chromium`` and a CJK font
    (``fonts-wqy-zenhei``, so screenshots show Chinese, not boxes) with apt-get when missing and
    running as root (CI starts from a clean machine)."""
    missing = []
    if _find_chromium() is None:
        missing.append("chromium")
    if not _has_cjk_font():
        missing.append("fonts-wqy-zenhei")
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=900)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env, timeout=1800)
    path = _find_chromium()
    assert path, "Chromium is required for the page-rendering tests: apt-get install chromium (as root)"
    return path


@pytest.fixture
def render_page(chromium, tmp_path):
    """``render_page(url, name) -> DOM``: load ``url`` in headless Chromium, save
    ``artifacts/portal/<name>.png`` (git-ignored) and return the DOM after scripts ran."""
    return lambda url, name: _render(chromium, url, ARTIFACTS / f"{name}.png", tmp_path)


def _render(chromium: str, url: str, screenshot: Path, tmp_path: Path) -> str:
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    base = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--hide-scrollbars", "--lang=zh-CN",
            f"--user-data-dir={tmp_path / 'chromium-profile'}"]
    dom = subprocess.run([*base, "--virtual-time-budget=5000", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    shot = subprocess.run([*base, "--window-size=1280,1600", f"--screenshot={screenshot}", url],
                          capture_output=True, text=True, timeout=120)
    assert shot.returncode == 0 and screenshot.exists() and screenshot.stat().st_size > 5000, shot.stderr[-2000:]
    return dom.stdout
