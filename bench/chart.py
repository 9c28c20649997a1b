"""The benchmark's chart: each figure beside its limit, as a small hand-written SVG (bars and text)
so that the benchmark needs no plotting library.

One row per figure. Each row has its own scale: the coloured bar is the figure (green: target met,
red: missed, blue-grey: for reference), the grey bar the limit it is measured against (the raw
limit, raw query + floor, the bare page, or the target itself), and the black tick the target's
bound. Rows of figures not built yet say so.
"""

from __future__ import annotations

from html import escape

WIDTH = 980
LABEL_WIDTH = 400
BAR_WIDTH = 300
ROW_HEIGHT = 34
COLOURS = {True: "#2e7d32", False: "#c62828", None: "#546e7a"}
LIMIT_COLOUR = "#b0bec5"
MARKS = {True: "✓", False: "✗", None: ""}
DATABASES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def number(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value < 100:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:,.0f}"


def _text(x, y, content, *, size=12, anchor="start", weight="normal", fill="#212121") -> str:
    return (
        f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
        f'fill="{fill}">{escape(content)}</text>'
    )


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _row(row: dict, y: int) -> list[str]:
    parts = [
        _text(10, y + 14, _clip(row["figure"], 62)),
        _text(10, y + 28, _clip(row["target"], 62), size=10, fill="#616161"),
    ]
    value, limit, threshold = row.get("value"), row.get("limit"), row.get("threshold")
    x0 = LABEL_WIDTH
    if value is None:
        parts.append(_text(x0, y + 20, row.get("note") or "not measured", fill="#9e9e9e"))
        return parts
    scale = max(v for v in (value, limit, threshold, 1e-9) if v is not None) * 1.05
    colour = COLOURS[row.get("met")]
    parts.append(
        f'<rect x="{x0}" y="{y + 4}" width="{BAR_WIDTH * value / scale:.1f}" height="11" fill="{colour}"/>'
    )
    if limit is not None:
        width = BAR_WIDTH * limit / scale
        parts.append(f'<rect x="{x0}" y="{y + 17}" width="{width:.1f}" height="9" fill="{LIMIT_COLOUR}"/>')
    if threshold is not None:
        x = x0 + BAR_WIDTH * threshold / scale
        parts.append(
            f'<line x1="{x:.1f}" y1="{y + 1}" x2="{x:.1f}" y2="{y + 29}" stroke="#000" stroke-width="2"/>'
        )
    unit = row.get("unit", "")
    right = x0 + BAR_WIDTH + 12
    summary = f"{number(value)} {unit}"
    if limit is not None:
        summary += f" vs {number(limit)} {unit}"
    parts.append(_text(right, y + 14, _clip(summary, 38), fill=colour))
    ratio = row.get("ratio")
    detail = " ".join(
        part for part in (f"{ratio:.2f}×" if ratio is not None else "", MARKS[row.get("met")]) if part
    )
    if row.get("limit_name"):
        detail = f"{detail} · {row['limit_name']}" if detail else row["limit_name"]
    parts.append(_text(right, y + 28, _clip(detail, 44), size=11, fill=colour))
    return parts


def chart(results: list[dict], *, title: str = "CourseDesk benchmark") -> str:
    """An SVG of one or more runs (the JSON written by bench/run.py), one section per database."""
    body: list[str] = []
    y = 30
    body.append(_text(10, y, title, size=16, weight="bold"))
    y += 18
    legend = (
        "bar: the figure (green met, red missed, grey-blue reference) · grey: its limit · "
        "tick: the target's bound · ratio = figure ÷ limit"
    )
    body.append(_text(10, y, legend, size=11, fill="#616161"))
    y += 12
    for result in results:
        y += 26
        cpus = result.get("machine", {}).get("cpus", "?")
        load = result.get("load_at_measure_start", ["?"])[0]
        reference = result.get("machine", {}).get("cpu_reference_ms")
        heading = (
            f"{DATABASES.get(result['database'], result['database'])} — {result['customers']:,} customers — "
            f"{result['date']} — {cpus} CPUs, load average {load} when measured"
            + (f", CPU reference {reference} ms" if reference else "")
        )
        body.append(_text(10, y, heading, size=13, weight="bold"))
        y += 8
        for row in result["figures"]:
            body.append(f'<line x1="10" y1="{y}" x2="{WIDTH - 10}" y2="{y}" stroke="#eeeeee"/>')
            body.extend(_row(row, y))
            y += ROW_HEIGHT
    height = y + 10
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">\n'
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>\n' + "\n".join(body) + "\n</svg>\n"
    )
