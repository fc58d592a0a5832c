"""Load: 20 annotator processes on one PostgreSQL database, each making edits and decisions as fast
as it can through the store (the session, with the guard on, as the annotate screen does): no edit
or decision lost or stored twice, no error. Here for 8 seconds; ``python benchmarks/bench_store.py
--load 60`` runs the full minute on PostgreSQL and on SQLite and prints the commit latencies."""

from __future__ import annotations

from pathlib import Path

from tests.store.load_worker import check_load, make_dataset, percentile, run_load

ANNOTATORS = 20


def test_twenty_annotators_at_once_lose_nothing(pg_url: str, tmp_path: Path) -> None:
    make_dataset(pg_url, tasks=2_000)
    result = run_load(pg_url, ANNOTATORS, seconds=8, per_task=4, folder=tmp_path)
    assert result.errors == []
    assert all(not r["finished"] for r in result.reports.values())  # all worked the whole time
    assert all(r["decisions"] for r in result.reports.values())  # and every one got work done
    check_load(pg_url, result)
    print(
        f"\n{ANNOTATORS} annotators: {result.edits} edits, {result.decisions} decisions; p95 edit "
        f"{percentile(result.latencies['edit'], 0.95) * 1000:.1f} ms"
    )
