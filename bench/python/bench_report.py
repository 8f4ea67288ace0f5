"""The outputs of bench_all.py: the text table, the README's Markdown table and the PNG chart of the ratios.

Each takes bench_all's results dict: {"machine": {...}, "quick": bool, "rows": [common-schema rows], ...}.
"""
from __future__ import annotations

from pathlib import Path

README_START = "<!-- bench-table:start (written by bench/python/bench_all.py --update-readme) -->"
README_END = "<!-- bench-table:end -->"
COLUMNS = (("ember", "ember"), ("torch", "PyTorch"), ("numpy", "NumPy"), ("jax", "JAX jit"), ("onnxruntime", "onnxrt"))


def num(v) -> str:
    """A figure with about four significant digits; '-' when absent."""
    if v is None:
        return "-"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"


def target_text(row: dict) -> str:
    """'0.30 vs torch: met', or a target's own wording ('>= 80% of triad: missed')."""
    return ", ".join(f"{t.get('text') or format(t['ratio'], '.2f') + ' vs ' + t['vs']}: {'met' if t['met'] else 'missed'}"
                     for t in row["targets"])


def ratio_text(row: dict) -> str:
    return f"{row['ratio']:.2f} ({row['best_peer']})" if row["ratio"] is not None else "-"


def threads_text(machine: dict) -> str:
    return f"{machine['threads']} thread" + ("s" if machine["threads"] != 1 else "")


def header_lines(results: dict) -> list:
    m, v = results["machine"], results["machine"]["versions"]
    dnnl = m["onednn"]
    lines = [f"{m['date']}: {m['cpu']}, {m['cores']} cores, {threads_text(m)} for every library; "
             f"{dnnl.get('version')} ISA {dnnl.get('isa')} (matmul: {dnnl.get('matmul_impl')}); "
             f"load average {m['load_average_at_start']:.1f} at the start, {m['load_average_at_end']:.1f} at the end",
             "versions: " + ", ".join(f"{lib} {ver}" for lib, ver in v.items() if ver),
             "median figures, lower is better; ember/best = ember / the best peer's (< 1: ember wins); JAX under "
             "jit except the per-call rows (eager)" + ("; QUICK run" if results["quick"] else "")]
    if m["load_average_at_start"] > 0.5 * m["cores"]:
        lines.append(f"WARNING: the machine was busy (load {m['load_average_at_start']:.1f} on {m['cores']} cores): "
                     "figures are noisy, threaded ones most of all")
    return lines


def text_table(results: dict) -> str:
    """The table printed at the end of a run."""
    head = (f"{'workload':<52}{'unit':>9}" + "".join(f"{title:>10}" for _, title in COLUMNS)
            + f"{'ember/best':>20}  {'target':<24}notes")
    out = [f"# {line}" for line in header_lines(results)] + [head, "-" * len(head)]
    for r in results["rows"]:
        out.append(f"{r['workload'][:51]:<52}{r['unit']:>9}" + "".join(f"{num(r[lib]):>10}" for lib, _ in COLUMNS)
                   + f"{ratio_text(r):>20}  {target_text(r):<24}{r['notes']}")
    return "\n".join(out)


def markdown_table(results: dict) -> str:
    """The README's table, with the machine and versions above it."""
    cells = ["workload", "unit"] + [title for _, title in COLUMNS] + ["ember / best peer", "target", "notes"]
    out = [f"_{line}_  " for line in header_lines(results)] + [""]
    out += ["| " + " | ".join(cells) + " |", "|" + "---|" * len(cells)]
    for r in results["rows"]:
        row = [r["workload"].replace("|", "\\|"), r["unit"]] + [num(r[lib]) for lib, _ in COLUMNS]
        row += [ratio_text(r), target_text(r), r["notes"].replace("|", "\\|")]
        out.append("| " + " | ".join(row) + " |")
    return "\n".join(out)


def update_readme(path: Path, results: dict) -> None:
    """Replaces what lies between the bench-table markers in path with the Markdown table."""
    text = path.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise SystemExit(f"[bench] {path} has no '{README_START}' ... '{README_END}' markers to put the table in")
    path.write_text(text[: start + len(README_START)] + "\n" + markdown_table(results) + "\n" + text[end:])


def write_chart(results: dict, path: Path) -> str:
    """Draws ember / best peer per workload as horizontal bars on a log scale; returns a line saying what it did."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter
    except ImportError:
        return "# matplotlib is not installed: no chart (pip install matplotlib)"
    rows = [r for r in results["rows"] if r["ratio"] is not None]
    if not rows:
        return "# no ratios to chart"
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(rows) + 1.6))
    labels = [f"{r['workload']} (vs {r['best_peer']})" for r in rows][::-1]
    ratios = [r["ratio"] for r in rows][::-1]
    bars = ax.barh(labels, ratios, color=["tab:green" if x <= 1 else "tab:red" for x in ratios])
    ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("ember time / best peer's time (log scale; < 1: ember faster)")
    m = results["machine"]
    ax.set_title(f"ember vs the best of PyTorch, NumPy, JAX, onnxruntime\n{m['cpu']}, {threads_text(m)}, "
                 f"{m['date']}", fontsize=9)
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"# wrote {path}"
