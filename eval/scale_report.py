"""Tables and plot of ``make bench-scale`` from the measurements :mod:`eval.bench_scale` collects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eval.bench import table

TARGET_P50_MS = 200.0
TARGET_QUALITY_DROP = 0.02


def _pair(a: float, b: float, digits: int = 0) -> str:
    return f"{a:.{digits}f} / {b:.{digits}f}"


def _q(entry: dict[str, Any], key: str) -> dict[str, float] | None:
    return entry["serve"]["quality"].get(key)


def _rates(results: dict[str, Any]) -> tuple[float, float]:
    return results["embedding"][str(results["embed_batch"])], results["parse_rate"]


def main_table(results: dict[str, Any]) -> str:
    rows = []
    for entry in results["sizes"].values():
        b, s = entry["build"], entry["serve"]
        alqac, own = _q(entry, "ALQAC/hybrid"), _q(entry, "own/hybrid")
        rows.append([
            f"{b['size']:,} ({b['real']:,} + {b['derived']:,})", f"{b['documents']:,}", b["vector_kind"],
            f"{b['build_s']:.1f}", f"{s['load_s']:.1f}", _pair(b["build_peak_mb"], s["serve_peak_mb"]),
            f"{b['disk_mb']:.0f}", _pair(s["embed_query"]["p50"], s["embed_query"]["p95"], 1),
            _pair(s["retrieve"]["p50"], s["retrieve"]["p95"], 1),
            _pair(s["ask"]["p50"], s["ask"]["p95"]),
            _pair(alqac["r1"], alqac["r5"], 3) if alqac else "–", _pair(own["r1"], own["r5"], 3) if own else "–",
        ])
    return table(["passages (real + derived)", "documents", "vector index", "index build s", "load s",
                  "peak MB build / serve", "disk MB", "query embedding p50 / p95 ms (floor)",
                  "retrieval p50 / p95 ms", "`ask` p50 / p95 ms",
                  "ALQAC R@1 / R@5", "own R@1 / R@5"], rows)


def ingest_table(results: dict[str, Any]) -> str:
    embed, parse = _rates(results)
    rows = []
    for entry in results["sizes"].values():
        b = entry["build"]
        n = b["size"]
        rest = n / (n / parse + b["build_s"])
        total = n / (n / embed + n / parse + b["build_s"])
        rows.append([f"{n:,}", f"{embed:.1f}", f"{parse:.0f}", f"{b['build_s']:.1f}", f"{rest:.0f}", f"{total:.1f}",
                     _duration(n / total)])
    return table(["passages", "embedding passages/s", "parsing passages/s", "index build s",
                  "rest passages/s (parse + build)", "ingest passages/s", "cold ingest (estimated)"], rows)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def build_table(results: dict[str, Any]) -> str:
    rows = []
    for entry in results["sizes"].values():
        b = entry["build"]
        rows.append([f"{b['size']:,}", f"{b['generate_s']:.1f}", f"{b['lexical_s']:.1f}", f"{b['nnz']:,}",
                     f"{b['vector_index_s']:.1f} ({b['vector_kind']})", f"{b['write_s']:.1f}"])
    return table(["passages", "corpus generated s", "BM25 (tokenise + bm25s) s", "BM25 weights stored",
                  "vector index s", "files written s"], rows)


def modes_table(results: dict[str, Any]) -> str:
    rows = []
    for entry in results["sizes"].values():
        row: list[Any] = [f"{entry['build']['size']:,}"]
        for name in ("ALQAC", "own"):
            for mode in ("hybrid", "dense", "lexical"):
                q = _q(entry, f"{name}/{mode}")
                row.append(_pair(q["r1"], q["r5"], 3) if q else "–")
        rows.append(row)
    heads = [f"{name} {mode} R@1 / R@5" for name in ("ALQAC", "own") for mode in ("hybrid", "dense", "BM25")]
    return table(["passages", *heads], rows)


def ann_table(results: dict[str, Any]) -> str:
    rows = []
    for entry in results["sizes"].values():
        ann = entry["serve"].get("ann")
        if not ann:
            continue
        for kind in ("flat", "hnsw", "ivf"):
            a = ann[kind]
            q = a.get("quality") or {}
            alqac, own = q.get("ALQAC/hybrid"), q.get("own/hybrid")
            rows.append([f"{entry['build']['size']:,}", kind, f"{a['build_s']:.1f}", f"{a['recall10']:.3f}",
                         f"{a['p50_ms']:.2f}", f"{a['mb']:.0f}",
                         f"{alqac['r5']:.3f}" if alqac else "–", f"{own['r5']:.3f}" if own else "–"])
    return table(["passages", "vector index", "build s", "recall of exact dense top-10", "dense search p50 ms",
                  "size MB", "ALQAC hybrid R@5", "own hybrid R@5"], rows)


def bm25_table(results: dict[str, Any]) -> str:
    rows = []
    for entry in results["sizes"].values():
        m = entry["serve"].get("bm25")
        if not m:
            continue
        rows.append([f"{entry['build']['size']:,}", f"{m['tokenize_s']:.1f}", f"{m['old_build_s']:.1f}",
                     f"{m['new_build_s']:.1f}", _pair(m["old_p50_ms"], m["old_p95_ms"], 1),
                     _pair(m["new_p50_ms"], m["new_p95_ms"], 1), f"{m['max_rel_diff']:.1e}",
                     f"{m['same_top10']}/{m['n']}"])
    return table(["passages", "tokenise s", "hand-written build s", "bm25s build s", "hand-written p50 / p95 ms",
                  "bm25s p50 / p95 ms", "max relative score difference", "same top-10"], rows)


def embedding_table(results: dict[str, Any]) -> str:
    rows = [[b + (" (used)" if int(b) == results["embed_batch"] else ""), f"{r:.2f}"]
            for b, r in results["embedding"].items()]
    return table(["passages per model call", "passages/s"], rows)


def qdrant_table(results: dict[str, Any]) -> str:
    rows = []
    for entry in results["sizes"].values():
        q = entry.get("qdrant")
        if not q:
            continue
        n = entry["build"]["size"]
        alqac, own = q["quality"].get("ALQAC/hybrid"), q["quality"].get("own/hybrid")
        rows.append([f"{n:,}", f"{q['sync_s']:.1f} ({n / q['sync_s']:.0f}/s)", f"{q['connect_s']:.1f}",
                     _pair(q["retrieve"]["p50"], q["retrieve"]["p95"], 1),
                     _pair(alqac["r1"], alqac["r5"], 3) if alqac else "–", _pair(own["r1"], own["r5"], 3) if own else "–",
                     f"{q['disk_mb']:.0f}", f"{q['peak_mb']:.0f}"])
    return table(["passages", "sync s", "connect s", "retrieval p50 / p95 ms", "ALQAC R@1 / R@5", "own R@1 / R@5",
                  "disk MB", "peak MB"], rows)


def targets(results: dict[str, Any]) -> list[str]:
    entries = list(results["sizes"].values())
    if not entries:
        return []
    small, large = entries[0], entries[-1]
    n = large["build"]["size"]
    p50 = large["serve"]["retrieve"]["p50"]
    lines = [f"- retrieval p50 at {n:,} passages: {p50:.1f} ms (target < {TARGET_P50_MS:.0f} ms) "
             + ("✓" if p50 < TARGET_P50_MS else "✗")]
    a_small, a_large = _q(small, "ALQAC/hybrid"), _q(large, "ALQAC/hybrid")
    if a_small and a_large:
        for key, label in (("r5", "R@5"), ("r1", "R@1")):
            drop = a_small[key] - a_large[key]
            lines.append(f"- ALQAC hybrid {label} at {n:,}: {a_large[key]:.3f} vs {a_small[key]:.3f} at "
                         f"{small['build']['size']:,} (drop {drop:+.3f}; target ≤ {TARGET_QUALITY_DROP}) "
                         + ("✓" if drop <= TARGET_QUALITY_DROP + 1e-9 else "✗"))
    alone = results.get("alqac_alone")
    if alone and a_large:
        cut = f" in {alone['passages']:,} passages" if "passages" in alone else ""
        lines.append(f"- ALQAC alone (its 2,131 articles{cut}): R@1 {alone['r1']:.3f}, "
                     f"R@5 {alone['r5']:.3f}; at {n:,}: drop R@5 {alone['r5'] - a_large['r5']:+.3f}, "
                     f"R@1 {alone['r1'] - a_large['r1']:+.3f}")
    return lines


def report(results: dict[str, Any]) -> list[str]:
    """The markdown of the ``bench-scale`` section (title first; the machine line goes under it)."""
    embed, parse = _rates(results)
    return [
        "## `make bench-scale`: from ten documents to a province's library", "",
        "Corpora built by `eval/scale_corpus.py`: the real pool (corpus index, ALQAC 2023 articles cut into "
        "passages as `reformqa ingest` cuts a law, at most 900 characters, UIT "
        "regulation and Wikipedia contexts, real vectors) and, above its size, derived passages: runs of "
        "sentences from two to six passages of one real document, as long as a passage of it, every number "
        "changed; vector mixed from the sources' vectors (never embedded) keeping their alignment with the "
        "corpus and document centroids; no sentence of an ALQAC gold article or holding an own-set fact. "
        "Each real sentence recurs in about 35 derived passages at 100k. Latency: each question once, warm, "
        f"through the engine's document scope; `ask` = `Engine.ask` on {_ask_n(results)} questions.", "",
        "### Per size", "", main_table(results), "",
        "Targets:", "", *targets(results), "",
        "### Ingest throughput", "",
        f"Embedding measured on {len(results['embedding'])} batch sizes over the same real passages "
        f"(the derived passages are not embedded); parsing on corpus/ ({results['parsed']} passages); "
        "index build as in the table below. Cold ingest = embedding + parsing + index build.", "",
        ingest_table(results), "", embedding_table(results), "",
        "### Index build", "", build_table(results), "",
        "### Retrieval quality by mode (document scope as `Engine.ask`)", "", modes_table(results), "",
        "### Vector index: exact vs approximate", "",
        "Approximate indexes propose candidates that are then scored exactly; recall = share of the exact "
        "dense top-10 found. Hybrid quality with each index in the retriever.", "",
        ann_table(results) or "_not run (--no-compare)_", "",
        "### `bm25s` vs the hand-written BM25 (same tokens, same formula)", "",
        bm25_table(results) or "_not run (--no-compare)_", "",
        "### Qdrant backend, embedded (local) mode", "",
        "qdrant-client's local mode scores in Python (no server, no index): a functional check and a floor, "
        "not a server's speed.", "",
        qdrant_table(results) or "_not run_", "",
        f"_Embedding {embed:.1f} passages/s, parsing {parse:.0f} passages/s._",
    ]


def _ask_n(results: dict[str, Any]) -> int:
    entries = list(results["sizes"].values())
    return entries[0]["serve"]["ask_n"] if entries else 0


def plot(results: dict[str, Any], path: Path) -> None:
    """Four panels against corpus size: latency, build/load time, memory/disk, quality."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    entries = list(results["sizes"].values())
    n = [e["build"]["size"] for e in entries]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    ax = axes[0][0]
    for key, label in (("retrieve", "retrieval"), ("ask", "Engine.ask")):
        ax.plot(n, [e["serve"][key]["p50"] for e in entries], "o-", label=f"{label} p50")
        ax.plot(n, [e["serve"][key]["p95"] for e in entries], "o--", label=f"{label} p95")
    ax.axhline(TARGET_P50_MS, color="grey", lw=0.8, ls=":", label="retrieval p50 target")
    ax.set(title="Latency per question", ylabel="ms")
    ax = axes[0][1]
    ax.plot(n, [e["build"]["build_s"] for e in entries], "o-", label="index build")
    ax.plot(n, [e["serve"]["load_s"] for e in entries], "o-", label="index load")
    ax.set(title="Index build and load (embedding excluded)", ylabel="s")
    ax = axes[1][0]
    ax.plot(n, [e["build"]["build_peak_mb"] for e in entries], "o-", label="peak RSS, build")
    ax.plot(n, [e["serve"]["serve_peak_mb"] for e in entries], "o-", label="peak RSS, serve")
    ax.plot(n, [e["build"]["disk_mb"] for e in entries], "o-", label="disk")
    ax.set(title="Memory and disk", ylabel="MB")
    ax = axes[1][1]
    for key, label in (("ALQAC/hybrid", "ALQAC"), ("own/hybrid", "own")):
        if all(_q(e, key) for e in entries):
            ax.plot(n, [_q(e, key)["r5"] for e in entries], "o-", label=f"{label} R@5")
            ax.plot(n, [_q(e, key)["r1"] for e in entries], "o--", label=f"{label} R@1")
    ax.set(title="Retrieval quality (hybrid, as Engine.ask)", ylim=(0, 1.02))
    for ax in axes.flat:
        ax.set_xscale("log")
        ax.set_xlabel("passages in the index")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("ReformQA: cost and quality by corpus size (make bench-scale)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
