"""Labelled corpus: recall ≥ 99.5 % for ID, mobile and bank card; precision ≥ 99 % for every kind.

The figures are printed (``-s``) and recorded in docs/privacy.md.
"""

from __future__ import annotations

import csv

import polars as pl
import pytest

from pipelines.privacy import detect as D
from pipelines.privacy.kinds import KINDS
from tests.privacy import make_corpus


@pytest.fixture(scope="module")
def scored() -> pl.DataFrame:
    df = pl.read_csv(make_corpus.CORPUS, infer_schema=False)
    hits = D.detect_series(df.get_column("text"), names="context")
    found = hits.group_by("row").agg(pl.col("kind").unique().alias("found"))
    return (df.with_row_index("row").join(found, on="row", how="left")
            .with_columns(pl.col("found").fill_null(pl.lit([], dtype=pl.List(pl.Utf8)))))


def test_corpus_file_is_what_the_generator_builds():
    with make_corpus.CORPUS.open(encoding="utf-8", newline="") as fh:
        rows = [tuple(r) for r in csv.reader(fh)][1:]
    assert rows == make_corpus.build()


def test_corpus_size_and_coverage(scored):
    pos = scored.filter(pl.col("kind") != "none")
    neg = scored.filter(pl.col("kind") == "none")
    assert pos.height >= 2000 and neg.height >= 2000
    assert set(pos.get_column("kind")) == set(KINDS)
    cats = set(neg.get_column("category"))
    assert {"order-number", "id-wrong-check", "id-impossible-date", "luhn-fail", "timestamp", "postal-code", "amount"} <= cats


def figures(scored: pl.DataFrame) -> dict[str, tuple[float, float, int, int]]:
    out = {}
    for k in sorted(set(scored.get_column("kind")) - {"none"}):
        has = pl.col("found").list.contains(k)
        tp = scored.filter((pl.col("kind") == k) & has).height
        fn = scored.filter((pl.col("kind") == k) & ~has).height
        fp = scored.filter((pl.col("kind") != k) & has).height
        out[k] = (tp / (tp + fn), tp / max(1, tp + fp), fn, fp)
    return out


def test_recall_and_precision_per_kind(scored):
    figs = figures(scored)
    for k, (rec, prec, fn, fp) in figs.items():
        print(f"{k:16s} recall {rec:.4f} precision {prec:.4f} (FN {fn}, FP {fp})")
    for k in ("cn_resident_id", "cn_mobile", "bank_card"):
        assert figs[k][0] >= 0.995, k
    for k, (_, prec, _, _) in figs.items():
        assert prec >= 0.99, k
    neg = scored.filter(pl.col("kind") == "none")
    flagged = neg.filter(pl.col("found").list.len() > 0).height
    assert flagged / neg.height <= 0.01
