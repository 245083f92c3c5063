"""The benchmark's repeat helpers: medians and per-run ratios."""

from bench.common import Measure, each_run, median_of


def test_median_of_takes_median_time_and_rss_and_the_median_runs_output():
    runs = [Measure(3.0, 500, {"i": 0}), Measure(1.0, 700, {"i": 1}), Measure(2.0, 600, {"i": 2})]
    m = median_of(runs)
    assert (m.seconds, m.peak_rss_mb, m.output) == (2.0, 600, {"i": 2})
    assert median_of(runs[:2]).seconds == 2.0 and median_of(runs[:2]).output == {"i": 1}


def test_each_run_is_against_the_floors_around_it():
    floors = [Measure(1.0, 0, {}), Measure(3.0, 0, {}), Measure(2.0, 0, {})]
    assert each_run([Measure(4.0, 0, {}), Measure(5.0, 0, {})], floors) == "2.00, 2.00"


def test_interleaved_puts_a_floor_before_and_after_every_run(monkeypatch, tmp_path):
    import bench.common as common

    order = []
    monkeypatch.setattr(common, "REPEATS", 3)
    monkeypatch.setattr(common, "floor", lambda csv: order.append("floor") or Measure(1.0, 0, {}))
    floors, runs = common.interleaved(tmp_path / "x.csv", lambda: order.append("run") or len(order))
    assert order == ["floor", "run", "floor", "run", "floor", "run", "floor"]
    assert len(floors) == 4 and runs == [2, 4, 6]
