"""`python -m bot`: the command-line harness (no token, no network)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from .answer import answer, context_of, reply_language
from .config import Settings, SettingsError
from .knowledge import KnowledgeBase, KnowledgeError, load
from .render import explain_text, to_json, to_text
from .report import FORMATS, LOW_CONFIDENCE, SUGGEST_MIN_SCORE
from .yamlsource import DataError


def _date_arg(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {value!r}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="factbot: sourced answers about Homs, Damascus and Assad")
    p.add_argument("--data", type=Path, help="folder holding knowledge/, intents/ and locales/ (default: the bundled ones)")
    sub = p.add_subparsers(dest="command", required=True)

    def answer_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--lang", default="en", help="the user's interface language, as Telegram sends it")
        sp.add_argument("--as-of", type=_date_arg, help="answer from the facts reported by this date only")
        sp.add_argument("--explain", action="store_true", help="add why this answer was chosen")

    ask = sub.add_parser("ask", help="answer one question (or one a line from stdin with --json -)")
    ask.add_argument("question", help='the question, or "-" to read one a line from standard input')
    ask.add_argument("--json", action="store_true", help="print the contract's JSON object")
    answer_options(ask)

    chat = sub.add_parser("chat", help="an interactive session with the same replies a Telegram user gets")
    answer_options(chat)

    intents = sub.add_parser("intents", help="list the intents (--json: every training example)")
    intents.add_argument("--json", action="store_true")

    sub.add_parser("validate", help="check knowledge/, intents/ and locales/; report overlapping examples")

    ev = sub.add_parser("eval", help="accuracy on labelled YAML files (figures per language too)")
    ev.add_argument("files", type=Path, nargs="+", metavar="FILE")
    ev.add_argument("--min-accuracy", type=float,
                    help="exit 1 if in-scope accuracy or out-of-scope rejection is below this (0-1)")
    ev.add_argument("--json", action="store_true")

    def db_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--db", type=Path,
                        help="the question database (default: FACTBOT_DB, or factbot.sqlite3 in FACTBOT_STATE_DIR)")
        sp.add_argument("--since", type=_date_arg, help="only questions asked on or after this day (YYYY-MM-DD, UTC)")
        sp.add_argument("--low", type=float, default=LOW_CONFIDENCE,
                        help=f"answers below this confidence count as low-confidence (default {LOW_CONFIDENCE})")

    rep = sub.add_parser("report", help="what people asked: top intents, refused questions grouped, low confidence, feedback")
    db_options(rep)
    rep.add_argument("--format", choices=[*sorted(FORMATS), "html"], default="md",
                     help="md (default), csv, json, or html: one self-contained page with charts to open in a browser")
    rep.add_argument("--out", type=Path, help="write the report to this file instead of standard output")

    sug = sub.add_parser("suggest", help="refused or low-confidence questions close to an intent, as YAML examples to paste")
    db_options(sug)
    sug.add_argument("--min-score", type=float, default=SUGGEST_MIN_SCORE,
                     help=f"how close to an intent a question must be (0-1, default {SUGGEST_MIN_SCORE})")

    sub.add_parser("run", help="start the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    sub.add_parser("config", help="print the effective settings (secrets masked) and where each came from")
    return p


def _load(root: Path | None) -> KnowledgeBase:
    return load(root) if root else load()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "config":
        return _config(settings)
    root = args.data or settings.data_root
    try:
        kb = _load(root)
    except KnowledgeError as exc:
        print(f"the knowledge base in {root} is not valid ({len(exc.errors)} problems):", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    command = args.command
    if command == "ask":
        return _ask(kb, args, settings)
    if command == "chat":
        return _chat(kb, args, settings)
    if command == "intents":
        return _intents(kb, args)
    if command == "validate":
        return _validate(kb)
    if command == "eval":
        return _eval(kb, args)
    if command in ("report", "suggest"):
        return _curate(kb, args, settings)
    if command == "run":
        from .tg.app import run  # imported here so the harness never needs telegram at start-up

        return run(settings, kb)
    return 2


def _config(settings: Settings) -> int:
    """One `NAME=value  # source` line per setting; the token and the webhook secret are masked."""
    where = settings.config_file or "none (FACTBOT_CONFIG_FILE is not set)"
    print(f"# config file: {where}")
    rows = settings.effective()
    width = max(len(f"{o.name}={shown}") for o, shown, _ in rows)
    for option, shown, source in rows:
        print(f"{option.name}={shown}".ljust(width) + f"  # {source}")
    return 0


def _one(kb: KnowledgeBase, question: str, args, settings: Settings, context=None):
    return answer(kb, question, lang=args.lang, context=context, as_of=args.as_of, stale_days=settings.stale_days)


def _ask(kb: KnowledgeBase, args, settings: Settings) -> int:
    if args.question == "-":
        if not args.json:
            print("reading from standard input needs --json (one JSON object a line)", file=sys.stderr)
            return 2
        for line in sys.stdin:  # one output line per input line, a blank one too: scripts pair them
            question = line.rstrip("\r\n")
            reply = _one(kb, question, args, settings)
            print(json.dumps(to_json(kb, reply, explain=args.explain), ensure_ascii=False), flush=True)
        return 0
    reply = _one(kb, args.question, args, settings)
    if args.json:
        print(json.dumps(to_json(kb, reply, explain=args.explain), ensure_ascii=False))
    else:
        print(to_text(kb, reply))
        if args.explain:
            print()
            print(explain_text(kb, reply))
    return 0


def _chat(kb: KnowledgeBase, args, settings: Settings) -> int:
    try:
        import readline  # noqa: F401 - gives the prompt history and line editing
    except ImportError:
        pass
    lang = reply_language(kb, args.lang)
    print(f"factbot chat: facts as of {kb.as_of}. Ask a question; /why explains the last answer; /quit or Ctrl-D leaves.")
    context = None
    last = None
    while True:
        try:
            question = input("you> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        question = question.strip()
        if not question:
            continue
        if question in ("/quit", "/exit", "quit", "exit"):
            return 0
        if question == "/why":
            print(explain_text(kb, last) if last else "Ask something first.")
            continue
        if question == "/start":
            question = "help"
        reply = answer(kb, question, lang=lang, context=context, as_of=args.as_of, stale_days=settings.stale_days)
        print()
        print(to_text(kb, reply))
        if args.explain:
            print()
            print(explain_text(kb, reply))
        print()
        last = reply
        context = context_of(reply) or context
    return 0


def _intents(kb: KnowledgeBase, args) -> int:
    if args.json:
        for ex in kb.examples():
            print(json.dumps({"intent": ex.intent, "text": ex.text, "lang": ex.lang}, ensure_ascii=False))
        return 0
    for intent in kb.intents.values():
        print(f"{intent.id:<20} {intent.display()}  ({len(intent.examples)} examples, {len(intent.facts)} facts)")
    return 0


def _validate(kb: KnowledgeBase) -> int:
    from .evaluate import overlapping_examples

    print(f"ok: {len(kb.facts)} facts, {len(kb.sources)} sources, {len(kb.intents)} intents, "
          f"{len(kb.examples())} examples, {len(kb.concepts)} names; facts as of {kb.as_of}")
    if kb.learned_off:
        print(f"warning: the learned second opinion is off ({kb.learned_off}): run `make learned`")
    overlaps = overlapping_examples(kb)
    if overlaps:
        print(f"\n{len(overlaps)} examples sit closer to another intent than to their own (worth rewording or moving):")
        for own, text, other, other_text, score in overlaps:
            print(f"  {own}: {text!r} ~ {other}: {other_text!r} ({score:.0f})")
    return 0


def _curate(kb: KnowledgeBase, args, settings: Settings) -> int:
    """`report` and `suggest`: read the recorded questions and print what curators need."""
    from . import report
    from .store import StoreError, read_questions

    path = args.db or settings.db_path()
    if path is None:
        print("no database: pass --db PATH, or set FACTBOT_DB or FACTBOT_STATE_DIR", file=sys.stderr)
        return 2
    try:
        rows = read_questions(path, args.since)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.command == "report":
        built = report.build(rows, kb, args.since, low=args.low)
        if args.format == "html":
            from .report_page import page

            suggestions = report.suggestions_yaml(report.suggest(kb, rows, low=args.low), args.since)
            text = page(built, suggestions, datetime.now(UTC))
        else:
            text = report.FORMATS[args.format](built)
        if args.out is None:
            print(text, end="")
            return 0
        try:
            args.out.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"{args.out}: {built.questions} questions, {built.refused} refused", file=sys.stderr)
    else:
        items = report.suggest(kb, rows, low=args.low, min_score=args.min_score)
        print(report.suggestions_yaml(items, args.since), end="")
    return 0


def _eval(kb: KnowledgeBase, args) -> int:
    from .evaluate import evaluate, format_report, read_labelled

    items = []
    for path in args.files:
        try:
            items += read_labelled(path)
        except DataError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    try:
        report = evaluate(kb, items)
    except ValueError as exc:
        print(f"{' '.join(map(str, args.files))}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({
            "total": report.total, "in_scope_accuracy": report.in_scope_accuracy,
            "out_of_scope_rejection": report.rejection_rate, "accuracy": report.accuracy,
            "per_intent": report.per_intent,
            "by_language": {
                lang: {"in_scope_accuracy": r.in_scope_accuracy, "out_of_scope_rejection": r.rejection_rate}
                for lang, r in report.by_language.items()
            },
            "mistakes": [{"text": t, "expected": e, "got": g} for t, e, g, _ in report.mistakes],
        }, ensure_ascii=False, indent=1))
    else:
        print(format_report(report))
    worst = min([report.in_scope_accuracy, report.rejection_rate]
                + [x for r in report.by_language.values() for x in (r.in_scope_accuracy, r.rejection_rate)])
    if args.min_accuracy is not None and worst < args.min_accuracy:
        print(f"\nbelow the bar of {args.min_accuracy:.1%}", file=sys.stderr)
        return 1
    return 0
