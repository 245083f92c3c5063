"""The query-syntax subset of ckanext-kaifang (pure Python; loaded from the extension's source)."""

from __future__ import annotations

import importlib.util
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

_SRC = Path(__file__).resolve().parents[2] / "portal" / "ckanext-kaifang" / "ckanext" / "kaifang" / "lucene.py"
_spec = importlib.util.spec_from_file_location("kaifang_lucene", _SRC)
lucene = importlib.util.module_from_spec(_spec)
sys.modules["kaifang_lucene"] = lucene  # dataclasses look their module up while the class is built
_spec.loader.exec_module(lucene)

Bool, Term, Range, All = lucene.Bool, lucene.Term, lucene.Range, lucene.All
MUST, SHOULD, MUST_NOT = lucene.MUST, lucene.SHOULD, lucene.MUST_NOT


def test_ckan_fq_forms():
    q = lucene.parse('+capacity:public +owner_org:"abc-1" +state:(active OR draft) +permission_labels:("public" OR "member-x")')
    assert q == Bool((
        (MUST, Term("capacity", "public")),
        (MUST, Term("owner_org", "abc-1", "phrase")),
        (MUST, Bool(((SHOULD, Term("state", "active")), (SHOULD, Term("state", "draft"))))),
        (MUST, Bool(((SHOULD, Term("permission_labels", "public", "phrase")),
                     (SHOULD, Term("permission_labels", "member-x", "phrase"))))),
    ))


def test_lucene_clause_rules_with_and_default():
    # a OR b +c: the OR makes a and b optional; +c is required
    assert lucene.parse("a OR b +c") == Bool(((SHOULD, Term(None, "a")), (SHOULD, Term(None, "b")),
                                               (MUST, Term(None, "c"))))
    assert lucene.parse("a -b") == Bool(((MUST, Term(None, "a")), (MUST_NOT, Term(None, "b"))))
    assert lucene.parse("NOT a") == Bool(((MUST_NOT, Term(None, "a")),))
    assert lucene.parse("*:*") == All() and lucene.parse("  ") == All()


def test_chinese_words_ranges_prefix_escapes():
    assert lucene.parse("养老 保险") == Bool(((MUST, Term(None, "养老")), (MUST, Term(None, "保险"))))
    assert lucene.parse("metadata_modified:[NOW-1DAY TO *]") == Range("metadata_modified", "NOW-1DAY", None)
    assert lucene.parse("num:{1 TO 5]") == Range("num", "1", "5", False, True)
    assert lucene.parse("name:abc*") == Term("name", "abc", "prefix")
    assert lucene.parse(r"name:a\:b") == Term("name", "a:b")
    assert lucene.parse("res_format:*") == Term("res_format", "", "exists")


@pytest.mark.parametrize("bad", ["title:x~2", "x^3", "{!lucene}x", "(a", "a)", "ti*le:x", "a:b:c",
                                 '"open', "_val_:x", "/re/", "x AND", "[a TO b]", "f:[a b]"])
def test_unsupported_syntax_raises(bad):
    with pytest.raises(lucene.UnsupportedQuery):
        lucene.parse(bad)


def test_date_math():
    now = datetime(2024, 3, 15, 10, 30, tzinfo=timezone.utc)
    assert lucene.parse_date("NOW-1DAY", now=now) == datetime(2024, 3, 14, 10, 30, tzinfo=timezone.utc)
    assert lucene.parse_date("NOW/DAY", now=now) == datetime(2024, 3, 15, tzinfo=timezone.utc)
    assert lucene.parse_date("NOW-2MONTHS/MONTH", now=now) == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert lucene.parse_date("2024-01-02T03:04:05Z") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    with pytest.raises(lucene.UnsupportedQuery):
        lucene.parse_date("yesterday")


def test_ngrams_make_substrings_findable():
    text = "城乡居民基本养老保险待遇领取人员"
    assert set(lucene.term_grams("养老")) <= lucene.grams(text)
    assert not set(lucene.term_grams("老养")) <= lucene.grams(text)
    assert lucene.term_grams("X") == ["x"]


def test_sort_compilation():
    assert lucene.compile_sort("score desc, metadata_modified desc").endswith("id ASC")
    assert "views" not in lucene.compile_sort("views_recent desc")
    for bad in ("bogus desc", "name", "name sideways"):
        with pytest.raises(lucene.UnsupportedQuery):
            lucene.compile_sort(bad)


def test_dismax_free_text_is_lenient_like_solr():
    assert lucene.parse(lucene.dismax_text("养老(2024)?")) == Bool(((MUST, Term(None, "养老")), (MUST, Term(None, "2024"))))
    assert lucene.parse(lucene.dismax_text('"open data" -draft')) == Bool(
        ((MUST, Term(None, "open data", "phrase")), (MUST_NOT, Term(None, "draft"))))
    assert lucene.parse(lucene.dismax_text('unbalanced "quote')) == Bool(
        ((MUST, Term(None, "unbalanced")), (MUST, Term(None, "quote"))))
    with pytest.raises(lucene.UnsupportedQuery):
        lucene.dismax_text("{!lucene}x")
