"""The portal's pages render in a real headless Chromium with the dataset's title visible."""

from __future__ import annotations

import html
import re

import httpx
import pytest

pytestmark = pytest.mark.portal


@pytest.fixture(scope="module")
def page_dataset(portal, sysadmin):
    org = portal.unique("pgorg")
    sysadmin.action.organization_create(name=org, title="页面测试部门 Page Dept")
    title = f"城乡居民基本养老保险待遇领取人员 {org[-6:]}"
    pkg = sysadmin.action.package_create(name=portal.unique("page"), title=title, owner_org=org,
                                         notes="按区县统计的待遇领取人数。", tags=[{"name": "社保"}],
                                         resources=[{"name": "汇总表", "url": "http://example.invalid/a.csv",
                                                     "format": "CSV"}])
    return org, pkg


def _visible_text(dom: str) -> str:
    body = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", dom)
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", body))


@pytest.mark.parametrize("page", ["dataset_list", "dataset", "organization"])
def test_page_renders_with_title(portal, render_page, page_dataset, page):
    org, pkg = page_dataset
    url = {"dataset_list": f"{portal.url}/dataset/?q={pkg['name']}",
           "dataset": f"{portal.url}/dataset/{pkg['name']}",
           "organization": f"{portal.url}/organization/{org}"}[page]
    dom = render_page(url, page)
    text = _visible_text(dom)
    assert pkg["title"] in text, f"title not visible on {url}"
    assert httpx.get(url, timeout=30).status_code == 200
