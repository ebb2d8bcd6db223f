"""Link: how the submission's datasets relate to each other and to the register.

Mosaic links (joining two datasets on shared quasi-identifiers makes groups smaller than k),
within the submission and against the fingerprints of registered releases, and each dataset's
comparison with the release it supersedes. The re-check links a treated dataset again
(:func:`links_of`), so this is a stage of its own between classify and measure.
"""

from __future__ import annotations

from typing import Any

from triage.dataset import Dataset
from triage.models import Finding
from triage.mosaic.linkage import (
    LinkAssessment,
    SubmissionDataset,
    assess_against_fingerprints,
    assess_submission,
    mosaic_facts,
)
from triage.mosaic.versions import compare_versions
from triage.pipeline.state import Setup, SubmissionState
from triage.vocab import Severity


def link_submission(setup: Setup, state: SubmissionState, datasets: list[Dataset]) -> None:
    """Fill ``state`` with the classified ``datasets`` (in order) as linkage sees them, each
    one's links, every distinct link and the version comparisons."""
    state.submission = [
        SubmissionDataset(d.name, d.frame, state.classifications[d.name]) for d in datasets
    ]
    setup.progress("looking for mosaic links")
    for sd in state.submission:
        state.links[sd.name] = links_of(setup, sd, [o for o in state.submission if o is not sd])
    state.versions = {
        sd.name: compare_versions(
            sd, setup.superseded[sd.name], setup.ctx.pseudonym_key, setup.k_target
        )
        for sd in state.submission
        if sd.name in setup.superseded
    }
    for links in state.links.values():
        for link in links:
            if not any(_same_link(link, seen) for seen in state.all_links):
                state.all_links.append(link)


def links_of(
    setup: Setup, target: SubmissionDataset, others: list[SubmissionDataset]
) -> list[LinkAssessment]:
    """Mosaic links of ``target`` with the other datasets and with registered releases."""
    links = [
        link
        for link in assess_submission([target, *others], k=setup.k_target)
        if target.name in link.datasets
    ]
    if setup.registered:
        found = assess_against_fingerprints(
            target, setup.registered, setup.ctx.pseudonym_key, k=setup.k_target
        )
        linked = sorted({n for link in found for n in link.datasets if n != target.name})
        if linked and setup.load_registered is not None:
            full = setup.load_registered(linked)
            found = assess_against_fingerprints(
                target, full, setup.ctx.pseudonym_key, k=setup.k_target
            )
        links += found
    return links


def link_facts(setup: Setup, links: list[LinkAssessment]) -> list[dict[str, Any]]:
    """Rule facts of the links, with the use case a linked registered release was for."""
    facts = mosaic_facts(links)
    for fact, link in zip(facts, links, strict=True):
        uses = [setup.registered_use_cases.get(n) for n in link.datasets]
        fact["registered_use_case"] = next((u for u in uses if u), None)
    return facts


def link_findings(name: str, links: list[LinkAssessment]) -> list[Finding]:
    """A high finding for each flagged link: linking makes groups smaller than k."""
    return [
        Finding(
            kind="mosaic_linkage",
            severity=Severity.HIGH,
            dataset=name,
            columns=[p.label for p in link.pairs],
            message=link.explanation,
            count=link.k_after,
        )
        for link in links
        if link.flagged
    ]


def _same_link(a: LinkAssessment, b: LinkAssessment) -> bool:
    return set(a.datasets) == set(b.datasets) and a.to_fact() == b.to_fact()
