"""A Document as one self-contained HTML page: inline style and script, no network access needed to open it.
Every table sorts by any column on a click of its header; charts are inline SVG."""

from __future__ import annotations

from html import escape

from .document import Chart, Document, Facts, Heading, Table, Text

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #222; max-width: 100em; }
table { border-collapse: collapse; margin: 1em 0; font-variant-numeric: tabular-nums; }
th, td { padding: 0.2em 0.6em; text-align: left; border-bottom: 1px solid #ddd; white-space: nowrap; }
th { background: #f3f3f3; cursor: pointer; user-select: none; position: sticky; top: 0; }
th[aria-sort=ascending]::after { content: " \\25B2"; }
th[aria-sort=descending]::after { content: " \\25BC"; }
td.num, th.num { text-align: right; }
td.zero { color: #aaa; }
td.marked { font-weight: bold; color: #8a1c7c; }
tfoot td { font-weight: bold; border-top: 2px solid #888; }
caption { caption-side: top; font-weight: bold; text-align: left; padding-bottom: 0.3em; }
p.caption, p.note { color: #555; max-width: 60em; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.1em 1.2em; }
dt { font-weight: bold; }
svg text { font: 11px system-ui, sans-serif; }
"""

SCRIPT = """
function cellValue(text) {
  const plain = text.replace(/[,\\s]/g, "").replace(/^[<≤~]/, "").replace(/\\+\\?$/, "");
  const number = parseFloat(plain);
  return plain !== "" && !isNaN(number) && /^-?[0-9.]+(e[-+]?[0-9]+)?[x%]?$/i.test(plain) ? number : null;
}
function sortBy(header) {
  const table = header.closest("table"), body = table.tBodies[0];
  const column = Array.from(header.parentNode.children).indexOf(header);
  const ascending = header.getAttribute("aria-sort") !== "ascending";
  table.querySelectorAll("th").forEach(th => th.removeAttribute("aria-sort"));
  header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  const rows = Array.from(body.rows).map((row, index) => ({row, index, text: row.cells[column].textContent}));
  rows.sort((a, b) => {
    const x = cellValue(a.text), y = cellValue(b.text);
    let order = x !== null && y !== null ? x - y : x !== null ? -1 : y !== null ? 1 : a.text.localeCompare(b.text);
    return (ascending ? order : -order) || a.index - b.index;
  });
  rows.forEach(item => body.appendChild(item.row));
}
document.querySelectorAll("table.sortable th").forEach(th => th.addEventListener("click", () => sortBy(th)));
"""

BAR_HEIGHT, LABEL_WIDTH, PLOT_WIDTH = 12, 150, 360
COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759")


def _table(block: Table) -> str:
    def cells(row, tag: str, r: int | None = None) -> str:
        out = []
        for i, cell in enumerate(row):
            classes = ["num"] if block.numeric[i] else []
            if tag == "td" and block.numeric[i] and cell in ("0", "0+?"):
                classes.append("zero")
            if r is not None and (r, i) in block.marked:
                classes.append("marked")
            attribute = f' class="{" ".join(classes)}"' if classes else ""
            out.append(f"<{tag}{attribute}>{escape(cell)}</{tag}>")
        return "".join(out)

    head = f"<thead><tr>{cells(block.headers, 'th')}</tr></thead>"
    body = "".join(f"<tr>{cells(row, 'td', r)}</tr>" for r, row in enumerate(block.rows))
    foot = f"<tfoot><tr>{cells(block.footer, 'td')}</tr></tfoot>" if block.footer else ""
    caption = f"<caption>{escape(block.title)}</caption>" if block.title else ""
    after = f'<p class="caption">{escape(block.caption)}</p>' if block.caption else ""
    return f'<table class="sortable">{caption}{head}<tbody>{body}</tbody>{foot}</table>{after}'


def _chart(block: Chart) -> str:
    """One horizontal bar per series for each label, scaled to the series' largest value."""
    group = BAR_HEIGHT * len(block.series) + 6
    height = group * len(block.labels) + 24
    svg_width = max(LABEL_WIDTH + PLOT_WIDTH + 60, LABEL_WIDTH + 140 * len(block.series))  # every legend entry fits
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{svg_width}" height="{height}" '
        f'role="img" aria-label="{escape(block.title)}">'
    ]
    for k, (name, _) in enumerate(block.series):
        x = LABEL_WIDTH + 140 * k
        parts.append(
            f'<rect x="{x}" y="2" width="10" height="10" fill="{COLORS[k % len(COLORS)]}"/>'
            f'<text x="{x + 14}" y="11">{escape(name)}</text>'
        )
    for j, label in enumerate(block.labels):
        top = 20 + group * j
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{top + group / 2}" text-anchor="end">{escape(label)}</text>')
        for k, (name, values) in enumerate(block.series):
            largest = max(values) or 1
            width = PLOT_WIDTH * values[j] / largest
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{top + BAR_HEIGHT * k}" width="{width:.1f}" '
                f'height="{BAR_HEIGHT - 2}" fill="{COLORS[k % len(COLORS)]}"><title>{escape(label)}: '
                f"{escape(name)} {values[j]:.3g}</title></rect>"
            )
    parts.append("</svg>")
    return f"<figure><figcaption>{escape(block.title)}</figcaption>{''.join(parts)}</figure>"


def _block(block) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level + 1}>{escape(block.text)}</h{block.level + 1}>"
    if isinstance(block, Text):
        items = "".join(f"<li>{escape(item)}</li>" for item in block.bullets)
        return (f'<p class="note">{escape(block.text)}</p>' if block.text else "") + (
            f"<ul>{items}</ul>" if items else ""
        )
    if isinstance(block, Facts):
        return (
            "<dl>"
            + "".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in block.items)
            + "</dl>"
        )
    if isinstance(block, Chart):
        return _chart(block)
    return _table(block)


def to_html(document: Document) -> str:
    """The whole page."""
    body = "\n".join(_block(block) for block in document.blocks)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(document.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{escape(document.title)}</h1>\n{body}\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def fragment(document: Document) -> str:
    """The document's blocks for a notebook cell: a scoped style, no page around them, and no script (a notebook
    may not run one), so headers do not look clickable: nothing there sorts."""
    rules = STYLE.replace(" cursor: pointer; user-select: none;", "").strip().splitlines()
    scoped = " ".join(_scoped(rule) for rule in rules if "aria-sort" not in rule)
    body = "".join(_block(block) for block in document.blocks)
    return f'<div class="cnncost"><style>{scoped}</style><h3>{escape(document.title)}</h3>{body}</div>'


def _scoped(rule: str) -> str:
    """A style rule that applies inside the fragment only: 'th, td {...}' -> '.cnncost th, .cnncost td {...}'."""
    selectors, body = rule.split("{", 1)
    scoped = ", ".join(".cnncost" if s.strip() == "body" else f".cnncost {s.strip()}" for s in selectors.split(","))
    return f"{scoped} {{{body}"
