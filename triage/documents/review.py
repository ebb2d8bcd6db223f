"""The redaction log (CSV and JSON, no values) and the reviewer's side-by-side HTML."""

from __future__ import annotations

import csv
import html
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from triage.documents.model import Document, LogEntry
from triage.documents.spans import by_block

LOG_FIELDS = ("id", "location", "entity", "exemption", "reason", "label", "masked_sample")


def write_log(
    log: list[LogEntry], out_dir: str | Path, stem: str = "redaction_log"
) -> tuple[Path, Path]:
    """Write the redaction log as CSV and JSON; returns both paths."""
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = d / f"{stem}.csv", d / f"{stem}.json"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(LOG_FIELDS))
        writer.writeheader()
        for entry in log:
            writer.writerow(asdict(entry))
    json_path.write_text(json.dumps([asdict(e) for e in log], indent=2), encoding="utf-8")
    return csv_path, json_path


_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem;
vertical-align:top;white-space:pre-wrap}th{background:#f3f3f3}
mark.o{background:#ffd7d7}mark.r{background:#222;color:#fff;padding:0 .2em}
mark.x{background:#e6e6e6;text-decoration:line-through}.loc{color:#666;font-size:.85em}
"""


def _marked(text: str, items: list[dict[str, Any]], redacted: bool) -> str:
    spans = sorted(items, key=lambda i: int(i["start"]))
    out: list[str] = []
    pos = 0
    for item in spans:
        start, end = int(item["start"]), int(item["end"])
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        title = html.escape(f"{item['id']} {item['entity']} {item['exemption']}", quote=True)
        if not item.get("accepted", False):
            out.append(
                f'<mark class="x" title="{title} rejected">{html.escape(text[start:end])}</mark>'
            )
        elif redacted:
            out.append(f'<mark class="r" title="{title}">{html.escape(str(item["label"]))}</mark>')
        else:
            out.append(f'<mark class="o" title="{title}">{html.escape(text[start:end])}</mark>')
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def review_html(doc: Document, proposals: dict[str, Any]) -> str:
    """Self-contained HTML: original beside redacted, each block with its proposals marked.

    For the reviewer only: the original column shows the values being redacted.
    """
    items = by_block(list(proposals.get("proposals", [])))
    rows = []
    for block in doc.blocks:
        mine = items.get(block.index, [])
        rows.append(
            f'<tr><td class="loc">{html.escape(block.location)}</td>'
            f"<td>{_marked(block.text, mine, False)}</td>"
            f"<td>{_marked(block.text, mine, True)}</td></tr>"
        )
    accepted = sum(1 for i in proposals.get("proposals", []) if i.get("accepted"))
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>Redaction review: {html.escape(doc.name)}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>Redaction review: {html.escape(doc.name)}</h1>"
        f"<p>{accepted} accepted of {len(proposals.get('proposals', []))} proposed redactions; "
        "reviewer copy, contains the original text: do not release.</p>"
        "<table><tr><th>Location</th><th>Original</th><th>Redacted</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )


def write_review_html(doc: Document, proposals: dict[str, Any], path: str | Path) -> Path:
    """Write :func:`review_html` to ``path``."""
    p = Path(path)
    p.write_text(review_html(doc, proposals), encoding="utf-8")
    return p
