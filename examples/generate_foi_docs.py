"""Generate ``examples/foi_response.docx``: a synthetic FOI response letter to check.

It holds a named resident, an NHS number, a phone number, a councillor acting publicly
(allow-listed in ``examples/public_officials.yaml``), a CCTV blind-spot remark and an alarm
code, plus a table, a header, a footer, a comment and author metadata. All values are made up.

Usage::

    cd /tmp && /work/main/.venv/bin/python /work/main/examples/generate_foi_docs.py [out.docx]
"""

from __future__ import annotations

import sys
from pathlib import Path

import docx

HERE = Path(__file__).resolve().parent

PARAGRAPHS = [
    "Freedom of Information request FOI-2024-0193: CCTV and anti-social behaviour, Elm Park",
    "Dear Requester,",
    "Thank you for your request received on 3 June 2024. We hold the information you asked "
    "for and set it out below.",
    "In March 2024 a resident, Mrs Janet Whitcombe, reported repeated damage to the play area "
    "and asked to be contacted on 0161 496 0732. Mrs Whitcombe also gave her NHS number, "
    "943 476 5919, when describing an injury.",
    "Councillor Margaret Okafor, Cabinet Member for Community Safety, approved additional "
    "patrols in April 2024 and reported the outcome to the Community Safety Committee.",
    "The camera on the north gate has a blind spot covering the path behind the pavilion.",
    "The pavilion alarm code is 4721 and is changed quarterly.",
    "The Council spent £18,400 on CCTV maintenance in 2023/24.",
    "If you are unhappy with this response you may ask for an internal review.",
    "Yours faithfully,",
    "Information Governance Team",
]


def build(out: Path) -> Path:
    """Write the example letter to ``out``."""
    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = "OFFICIAL - Case officer: Tom Bradshaw"
    section.footer.paragraphs[0].text = "Elm Park Borough Council, Town Hall, EP1 1AA"
    paragraphs = []
    for text in PARAGRAPHS:
        paragraphs.append(document.add_paragraph(text))
    # a paragraph split over several runs, as Word writes them
    split = document.add_paragraph()
    for part in ("Follow-up visit arranged with Mr ", "Ke", "vin Ashworth", " on 12 June."):
        split.add_run(part)
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate(
        [
            ("Month", "Incidents", "Reported by"),
            ("March", "23", "Janet Whitcombe"),
            ("April", "17", "Kevin Ashworth"),
        ]
    ):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_comment(
        paragraphs[3].runs, text="Check with Janet Whitcombe before release", author="Tom Bradshaw"
    )
    core = document.core_properties
    core.author = "Tom Bradshaw"
    core.title = "FOI response re Janet Whitcombe"
    core.subject = "CCTV Elm Park"
    core.keywords = "Whitcombe; FOI-2024-0193"
    core.last_modified_by = "Tom Bradshaw"
    out.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(out))
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "foi_response.docx"
    build(target)
