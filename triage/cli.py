"""The ``triage`` command line (INTERFACE.md): exit codes 0/10/20/30 by decision, 2 bad input,
1 unexpected fault; errors are one line on stderr."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from triage import __version__
from triage.context import DEFAULT_NLP_MODEL, Limits
from triage.errors import ConfigError, DataInputError, TriageError
from triage.models import Problem
from triage.vocab import Destination

EXIT_USAGE = 2
EXIT_FAULT = 1
#: default of ``check --timeout``, as the service's job timeout
CHECK_TIMEOUT_SECONDS = 3600.0


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"triage: error: {message} (see --help)\n")
        raise SystemExit(EXIT_USAGE)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``triage`` sub-command."""
    parser = _Parser(
        prog="triage",
        description="Triage datasets before they are shared, published or disclosed: "
        "a release decision, an explained report and, where changes make it safe, "
        "the treated data.",
        epilog="Exit codes: 0 release, 10 release_with_changes, 20 refer, 30 withhold, "
        "2 bad input or usage, 1 unexpected fault.",
    )
    parser.add_argument("--version", action="version", version=f"triage {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of faults")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser(
        "check",
        help="check one submission (one or more files) for a destination",
        description="Check PATHs as one submission. Writes DIR/report.json, report.md, "
        "report.html and, for release_with_changes, DIR/released/<file name>.",
    )
    check.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="CSV, XLSX, Parquet, JSON, NDJSON, GeoJSON, GeoPackage or zipped Shapefile; "
        "or a document for FOI: TXT, MD, DOCX, PDF, EML",
    )
    check.add_argument(
        "--destination",
        required=True,
        choices=[d.value for d in Destination],
        help="where the data is going; selects the shipped rulebook",
    )
    check.add_argument(
        "--policy",
        type=Path,
        metavar="RULEBOOK.yaml",
        help="custom rulebook instead of the shipped one",
    )
    check.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="folder for the reports and released data",
    )
    check.add_argument(
        "--sites",
        type=Path,
        metavar="SITES",
        help="register of sensitive sites (GeoJSON, GeoPackage or CSV with coordinates and a "
        "category) for proximity checks",
    )
    check.add_argument(
        "--officials",
        type=Path,
        metavar="FILE.yaml",
        help="allow-list of public officials (disclosed when acting in their public role) "
        "and deny-list terms, for documents",
    )
    check.add_argument(
        "--density",
        type=Path,
        metavar="POINTS",
        help="address points (CSV, GeoJSON or GeoPackage) for spatial k-anonymity: "
        "fewest addresses in a released location cell",
    )
    check.add_argument(
        "--registry",
        metavar="DB_URL",
        help="register of published releases to check linkage against (SQLAlchemy URL; "
        "default $TRIAGE_REGISTRY, else the default register file when it exists)",
    )
    check.add_argument(
        "--record",
        action="store_true",
        help="record a release or release_with_changes in the register (fingerprints only)",
    )
    check.add_argument(
        "--supersedes",
        action="append",
        default=[],
        metavar="[FILE=]NAME",
        help="this is a new version of the registered release NAME (repeatable; FILE=NAME "
        "with several files): judged by its difference from NAME, not linked with it",
    )
    check.add_argument(
        "--context",
        type=Path,
        metavar="FILE.yaml",
        help="triage answers (who receives it, owner permission, asset sensitivity...); "
        "a template comes from 'triage context template --destination D'",
    )
    check.add_argument(
        "--questionnaire", type=Path, metavar="FILE.yaml", help="custom questionnaire"
    )
    check.add_argument(
        "--key-file",
        type=Path,
        metavar="FILE",
        help="pseudonymisation key file (default: $TRIAGE_PSEUDONYM_KEY)",
    )
    nlp = check.add_mutually_exclusive_group()
    nlp.add_argument(
        "--nlp-model",
        default=DEFAULT_NLP_MODEL,
        metavar="NAME|PATH",
        help="installed spaCy model name or model folder (default: %(default)s)",
    )
    nlp.add_argument(
        "--pattern-only",
        action="store_true",
        help="no NER model: names and free text are judged by patterns only "
        "(reported as a problem; forces at least refer where it matters)",
    )
    defaults = Limits()
    check.add_argument(
        "--max-file-mb",
        type=_positive_int,
        default=defaults.max_file_bytes // 1024**2,
        help="default %(default)s",
    )
    check.add_argument(
        "--max-rows", type=_positive_int, default=defaults.max_rows, help="default %(default)s"
    )
    check.add_argument(
        "--max-columns",
        type=_positive_int,
        default=defaults.max_columns,
        help="default %(default)s",
    )
    check.add_argument(
        "--max-cell-chars",
        type=_positive_int,
        default=defaults.max_cell_chars,
        help="default %(default)s",
    )
    check.add_argument(
        "--max-expanded-mb",
        type=_positive_int,
        default=defaults.max_expanded_bytes // 1024**2,
        help="most a compressed input (XLSX, Parquet) may expand to; default %(default)s",
    )
    check.add_argument(
        "--timeout",
        type=_positive_float,
        default=CHECK_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help="stop the check (its process is killed) after this long: the decision is "
        "refer, nothing released; default %(default)s",
    )
    check.add_argument("--quiet", action="store_true", help="no progress or summary on stderr")
    check.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of faults"
    )

    registry = sub.add_parser("registry", help="the register of releases (for mosaic checks)")
    reg_sub = registry.add_subparsers(
        dest="registry_command", metavar="ACTION", parser_class=_Parser
    )
    reg_add = reg_sub.add_parser("add", help="record a dataset as already published")
    reg_add.add_argument("path", type=Path, metavar="PATH")
    reg_add.add_argument("--name", required=True)
    reg_add.add_argument("--destination", choices=[d.value for d in Destination])
    reg_add.add_argument("--recipient")
    reg_add.add_argument("--purpose", help="the use case it was released for")
    reg_add.add_argument("--key-file", type=Path, metavar="FILE")
    reg_add.add_argument("--pattern-only", action="store_true")
    reg_add.add_argument(
        "--supersedes", metavar="NAME", help="a new version of the registered release NAME"
    )
    reg_list = reg_sub.add_parser("list", help="list recorded releases")
    reg_list.add_argument("--all", action="store_true", help="include removed releases")
    reg_show = reg_sub.add_parser("show", help="show one release")
    reg_show.add_argument("release_id", type=_positive_int, metavar="ID")
    reg_remove = reg_sub.add_parser("remove", help="remove a release (the removal is kept)")
    reg_remove.add_argument("release_id", type=_positive_int, metavar="ID")
    reg_remove.add_argument("--reason")
    for reg_parser in (reg_add, reg_list, reg_show, reg_remove):
        reg_parser.add_argument(
            "--registry",
            metavar="DB_URL",
            help="SQLAlchemy URL (default $TRIAGE_REGISTRY or a file in the user's data directory)",
        )

    serve = sub.add_parser("serve", help="run the submission service (API, worker, web page)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_positive_int, default=8000)
    serve.add_argument(
        "--db-url",
        metavar="DB_URL",
        help="database (default $TRIAGE_REGISTRY or the default register file)",
    )
    serve.add_argument("--data-dir", type=Path, help="where submissions and results are kept")
    serve.add_argument("--workers", type=_positive_int, default=1, help="check processes")
    serve.add_argument(
        "--job-timeout",
        type=_positive_float,
        default=3600.0,
        metavar="SECONDS",
        help="a check running longer fails (nothing is released); default 3600",
    )
    serve.add_argument(
        "--http-processes",
        type=_positive_int,
        default=1,
        help="HTTP processes sharing the port (uploads parsed on several cores; the checks "
        "still run in one worker)",
    )
    serve.add_argument("--pattern-only", action="store_true", help="no NER model")
    serve.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="run the checks on this Dask scheduler instead of --workers local processes "
        "(tcp://HOST:PORT; needs triage[dask] and Dask workers that share the data folder "
        "at the same path)",
    )
    oidc = serve.add_argument_group(
        "OIDC bearer tokens",
        "Optional: accept 'Authorization: Bearer <JWT>' next to API keys. Tokens need exp, nbf, "
        "iat, iss, aud and sub; keys come from a local JWKS file (re-read when it changes, "
        "never downloaded). The role claim's values map to submitter, reviewer or admin; a "
        "token with none of them is refused (403).",
    )
    oidc.add_argument("--oidc-issuer", metavar="URL", help="expected iss; enables bearer tokens")
    oidc.add_argument("--oidc-audience", metavar="AUD", help="expected aud (required with OIDC)")
    oidc.add_argument("--oidc-jwks", type=Path, metavar="FILE", help="JWKS file of signing keys")
    oidc.add_argument(
        "--oidc-algorithm",
        action="append",
        metavar="ALG",
        help="accepted signing algorithm, repeatable (default: RS256 and ES256; never none)",
    )
    oidc.add_argument(
        "--oidc-hs256-secret-file",
        type=Path,
        metavar="FILE",
        help="also accept HS256 tokens signed with this shared secret (at least 32 bytes)",
    )
    oidc.add_argument(
        "--oidc-role-claim",
        default="roles",
        metavar="NAME",
        help="claim holding the roles; a dotted name reaches into objects (default: %(default)s)",
    )
    oidc.add_argument(
        "--oidc-role",
        action="append",
        metavar="VALUE=ROLE",
        help="map a role-claim value to submitter, reviewer or admin, repeatable "
        "(default: the role names themselves)",
    )
    oidc.add_argument(
        "--oidc-leeway",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="clock skew allowed on exp, nbf and iat (default: %(default)s)",
    )

    audit = sub.add_parser("audit", help="the tamper-evident audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", parser_class=_Parser)
    audit_verify = audit_sub.add_parser(
        "verify",
        help="check the audit log: its chain, its signed head and the service's tables "
        "(exit 0 intact, 1 tampered; the key is $TRIAGE_AUDIT_KEY_FILE)",
    )
    audit_verify.add_argument("--db-url", metavar="DB_URL")
    audit_verify.add_argument(
        "--checkpoint", type=Path, metavar="FILE", help="also check against this checkpoint"
    )
    audit_cp = audit_sub.add_parser(
        "checkpoint", help="write a signed checkpoint of the audit head (to keep elsewhere)"
    )
    audit_cp.add_argument("--out", type=Path, required=True, metavar="FILE")
    audit_cp.add_argument("--db-url", metavar="DB_URL")

    key = sub.add_parser("key", help="API keys and OIDC identities of the service")
    key_sub = key.add_subparsers(dest="key_command", metavar="ACTION", parser_class=_Parser)
    key_create = key_sub.add_parser("create", help="create a key (printed once)")
    key_create.add_argument("--role", required=True, choices=["submitter", "reviewer", "admin"])
    key_create.add_argument("--name", required=True)
    key_create.add_argument("--expires-in", type=float, metavar="DAYS", help="expire after DAYS")
    key_list = key_sub.add_parser("list", help="list keys and identities (never secrets)")
    for name, text in (("revoke", "revoke a key or identity"), ("rotate", "new secret (once)")):
        change = key_sub.add_parser(name, help=text)
        change.add_argument("key_id", type=int, metavar="ID")
        change.add_argument("--db-url", metavar="DB_URL")
    key_block = key_sub.add_parser(
        "revoke-identity", help="refuse an OIDC identity (issuer and subject), seen or not"
    )
    key_block.add_argument("--issuer", required=True)
    key_block.add_argument("--subject", required=True)
    for parser_ in (key_create, key_list, key_block):
        parser_.add_argument("--db-url", metavar="DB_URL")

    context = sub.add_parser("context", help="triage answers: print a template or validate")
    ctx_sub = context.add_subparsers(dest="context_command", metavar="ACTION", parser_class=_Parser)
    tmpl = ctx_sub.add_parser("template", help="print an answers file to fill in")
    tmpl.add_argument("--destination", required=True, choices=[d.value for d in Destination])
    cval = ctx_sub.add_parser("validate", help="check an answers file")
    cval.add_argument("file", type=Path, metavar="FILE")
    cval.add_argument("--destination", required=True, choices=[d.value for d in Destination])

    rulebook = sub.add_parser("rulebook", help="validate or show rulebooks")
    rb_sub = rulebook.add_subparsers(
        dest="rulebook_command", metavar="ACTION", parser_class=_Parser
    )
    validate = rb_sub.add_parser("validate", help="load and check a rulebook file")
    validate.add_argument("file", type=Path, metavar="FILE")
    show = rb_sub.add_parser("show", help="print a shipped rulebook")
    show.add_argument("destination", choices=[d.value for d in Destination])
    return parser


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    """A progress bar with the current step on stderr when it is a terminal; silent otherwise."""
    if not enabled or not sys.stderr.isatty():
        yield lambda _msg: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("starting", total=None)
        yield lambda msg: bar.update(task, description=msg)


def _run_check(args: argparse.Namespace) -> int:
    """The check in a child process killed at ``--timeout``: then a ``refer`` report saying
    so; a child that dies without an answer is a fault. Never a release either way."""
    from triage.io.outputs import stages
    from triage.timed import clean_up, run_limited, stopped_report, write_stopped

    def work(say: Callable[[str], None]) -> int:
        try:
            return _check_now(args, say)
        except Exception as exc:
            return _error_exit(exc, args.debug)

    before = stages(args.out)
    with _progress(not args.quiet) as progress:
        outcome = run_limited(work, args.timeout, progress)
    sys.stdout.write(outcome.stdout)
    sys.stderr.write(outcome.stderr)
    if outcome.code is not None:
        return outcome.code
    if not outcome.timed_out:
        clean_up(args.out, before)
        ended = f" (signal {outcome.signal})" if outcome.signal else ""
        sys.stderr.write(f"triage: fault: the check process ended without an answer{ended}\n")
        return EXIT_FAULT
    report = stopped_report(
        Destination(args.destination), [p.name for p in args.paths], args.timeout
    )
    write_stopped(args.out, report, before)
    if not args.quiet:
        sys.stderr.write(f"triage: {report.decision.value}: {report.decision_reason}\n")
    print(report.decision.value)
    return report.decision.exit_code


def _check_now(args: argparse.Namespace, say: Callable[[str], None]) -> int:
    from triage.runner import check_paths, default_context, read_key

    key = read_key(args.key_file)
    limits = Limits(
        max_file_bytes=args.max_file_mb * 1024**2,
        max_rows=args.max_rows,
        max_columns=args.max_columns,
        max_cell_chars=args.max_cell_chars,
        max_expanded_bytes=args.max_expanded_mb * 1024**2,
    )
    ctx = default_context(
        key=key, nlp_model=None if args.pattern_only else args.nlp_model, limits=limits
    )
    extra: list[Problem] = []
    report = check_paths(
        args.paths,
        Destination(args.destination),
        args.out,
        ctx,
        args.policy,
        progress=say,
        extra_problems=extra,
        context_path=args.context,
        questionnaire_path=args.questionnaire,
        registry_url=args.registry,
        record=args.record,
        sites_path=args.sites,
        density_path=args.density,
        officials_path=args.officials,
        supersedes=args.supersedes,
    )
    if not args.quiet:
        sys.stderr.write(f"triage: {report.decision.value}: {report.decision_reason}\n")
        for problem in report.problems:
            sys.stderr.write(f"triage: problem: {problem.message}\n")
        sys.stderr.write(f"triage: report: {args.out / 'report.html'}\n")
    print(report.decision.value)
    return report.decision.exit_code


def _run_registry(args: argparse.Namespace) -> int:
    from triage import registry_cli
    from triage.runner import read_key

    if args.registry_command == "add":
        release_id = registry_cli.add(
            args.path,
            args.name,
            args.registry,
            args.destination,
            args.recipient,
            args.purpose,
            key=read_key(args.key_file),
            nlp_model=None if args.pattern_only else DEFAULT_NLP_MODEL,
            supersedes=args.supersedes,
        )
        print(f"recorded release {release_id}: {args.name}")
        return 0
    if args.registry_command == "list":
        for line in registry_cli.list_releases(args.registry, include_removed=args.all):
            print(line)
        return 0
    if args.registry_command == "show":
        for line in registry_cli.show(args.release_id, args.registry):
            print(line)
        return 0
    if args.registry_command == "remove":
        print(registry_cli.remove(args.release_id, args.registry, args.reason))
        return 0
    raise ConfigError("registry needs an action: add, list, show or remove")


def _run_service(args: argparse.Namespace) -> int:
    from triage.api import cli_hooks
    from triage.runner import read_key
    from triage.store.register import resolve_registry_url

    if args.command == "serve":
        from platformdirs import user_data_dir

        cli_hooks.serve(
            args.host,
            args.port,
            resolve_registry_url(args.db_url),
            args.data_dir or Path(user_data_dir("triage")) / "service",
            nlp_model=None if args.pattern_only else DEFAULT_NLP_MODEL,
            worker_processes=args.workers,
            http_processes=args.http_processes,
            job_timeout_seconds=args.job_timeout,
            pseudonym_key=read_key(),
            dask_scheduler=args.dask_scheduler,
            oidc=cli_hooks.oidc_settings(
                args.oidc_issuer,
                args.oidc_audience,
                args.oidc_jwks,
                algorithms=args.oidc_algorithm,
                hs256_secret_file=args.oidc_hs256_secret_file,
                role_claim=args.oidc_role_claim,
                role_map=args.oidc_role,
                leeway_seconds=args.oidc_leeway,
            ),
        )
        return 0
    if args.command == "audit" and args.audit_command == "verify":
        return cli_hooks.audit_verify(resolve_registry_url(args.db_url), args.checkpoint)
    if args.command == "audit" and args.audit_command == "checkpoint":
        return cli_hooks.audit_checkpoint(resolve_registry_url(args.db_url), args.out)
    if args.command == "key" and args.key_command is not None:
        return _run_key(args, resolve_registry_url(args.db_url))
    raise ConfigError(f"{args.command} needs an action (see --help)")


def _run_key(args: argparse.Namespace, db_url: str) -> int:
    from triage.api import cli_hooks

    if args.key_command == "create":
        print(cli_hooks.create_key(db_url, args.role, args.name, args.expires_in))
    elif args.key_command == "list":
        print("\n".join(cli_hooks.key_lines(db_url)))
    elif args.key_command == "revoke-identity":
        key_id = cli_hooks.revoke_identity(db_url, args.issuer, args.subject)
        print(f"identity revoked (key {key_id})")
    else:
        token = cli_hooks.change_key(db_url, args.key_command, args.key_id)
        print(token if token is not None else f"key {args.key_id} revoked")
    return 0


def _run_context(args: argparse.Namespace) -> int:
    from triage.questionnaire import builtin_questionnaire, load_answers, template

    questionnaire = builtin_questionnaire()
    destination = Destination(args.destination)
    if args.context_command == "template":
        sys.stdout.write(template(questionnaire, destination))
        return 0
    if args.context_command == "validate":
        answers = load_answers(args.file, questionnaire, destination)
        if answers.missing:
            print(f"{args.file.name}: missing required answers: {', '.join(answers.missing)}")
            return 20
        print(f"{args.file.name}: complete answers for {destination.value}")
        return 0
    raise ConfigError("context needs an action: template or validate")


def _run_rulebook(args: argparse.Namespace) -> int:
    from triage.rules import builtin_rulebook, validate_rulebook_file

    if args.rulebook_command == "validate":
        rb = validate_rulebook_file(args.file)
        print(
            f"{args.file.name}: valid rulebook '{rb.name}' version {rb.version} "
            f"for {rb.destination} ({len(rb.rules)} rules)"
        )
        return 0
    if args.rulebook_command == "show":
        rb = builtin_rulebook(Destination(args.destination))
        for rule in rb.rules:
            print(f"{rule.id}\t{rule.outcome.value}\t{rule.when}")
        return 0
    raise ConfigError("rulebook needs an action: validate FILE or show DESTINATION")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``triage`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="triage: %(levelname)s: %(name)s: %(message)s",
    )
    try:
        if args.command == "check":
            return _run_check(args)
        if args.command == "rulebook":
            return _run_rulebook(args)
        if args.command == "context":
            return _run_context(args)
        if args.command == "registry":
            return _run_registry(args)
        if args.command in ("serve", "audit", "key"):
            return _run_service(args)
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("triage: error: interrupted\n")
        return EXIT_FAULT
    except Exception as exc:
        return _error_exit(exc, args.debug)


def _error_exit(exc: Exception, debug: bool) -> int:
    """Write an error's one line on stderr and return its exit code: 2 for bad input or
    usage, 1 for a fault (never a traceback unless ``debug``, never a release)."""
    if isinstance(exc, DataInputError | ConfigError):
        sys.stderr.write(f"triage: error: {_one_line(exc)}\n")
        return EXIT_USAGE
    if isinstance(exc, TriageError):
        sys.stderr.write(f"triage: fault: {_one_line(exc)}\n")
        return EXIT_FAULT
    if debug:
        traceback.print_exc()
    sys.stderr.write(
        f"triage: fault: unexpected {type(exc).__name__} (run with --debug for details)\n"
    )
    return EXIT_FAULT


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


if __name__ == "__main__":
    raise SystemExit(main())
