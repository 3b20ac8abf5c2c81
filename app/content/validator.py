"""Is a pack ready to go live, and what will it cost? Loader + schema + SMS pricing.

Errors stop a pack: a learner would get a broken question. Warnings do not: they are
money. One curly quote in a Dutch question makes the whole SMS UCS-2 (70 characters a
part instead of 160), and a question longer than one SMS is paid for by every learner,
at every review, for months. So every prompt is priced exactly as it will be sent:
questions through the engine's own ``render_question``, wrong-answer replies through the
same catalog string the engine uses.

Entry points, one per way a trainer hands in content: ``validate_paths`` (the CLI),
``validate_source`` / ``validate_files`` / ``validate_zip`` (a web upload, before it goes
live) and ``validate_text`` (a lone module file against a set of languages).
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.content import schema, templates
from app.content.loader import (
    LoadedModule,
    LoadedPack,
    LoadResult,
    line_of,
    load_paths,
    load_source,
)
from app.content.render import render_question
from app.content.sources import PackSource, Problem, SourceError
from app.content.text_kinds import TEXT_KINDS
from app.i18n import N_, Joined, Said, say
from app.languages import get as language_info
from app.messaging.segments import GSM7, LOOKALIKES, UCS2, count_segments, gsm7_lookalike_fix

# Per language (``locales/<code>/language.toml``): ``gsm7`` says its texts fit the GSM-7
# alphabet when written carefully, so a UCS-2 text in it is a typo that costs money (Hindi
# is always UCS-2); ``question_budget`` is the most SMS a question with its options should take.


@dataclass(frozen=True)
class Cost:
    """One prompt in one language, as a carrier bills it."""

    module: str  # pack/module
    language: str
    kind: str  # one of TEXT_KINDS
    item: str | None
    encoding: str
    units: int
    segments: int


@dataclass(frozen=True)
class CostRow:
    """A line of the cost table: one language, one kind of prompt, over all modules."""

    language: str
    kind: str
    count: int
    max_segments: int
    total_segments: int
    encoding: str  # GSM-7, UCS-2, or "mixed"


@dataclass
class Report:
    """Errors fail validation; warnings and costs are for the trainer to weigh; notes
    (texts awaiting a native speaker's review) are for the trainer to know."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    costs: list[Cost] = field(default_factory=list)
    packs: list[LoadedPack] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def cost_table(self) -> list[CostRow]:
        return cost_table(self.costs)


def validate_paths(paths: Iterable[Path | str], *, whole_packs: bool = False) -> Report:
    """Validate a content folder, pack folders or module files (see ``load_paths``)."""
    return _report(load_paths(paths, whole_packs=whole_packs))


def validate_source(source: PackSource, *, only: Iterable[str] | None = None) -> Report:
    """Validate one pack from anywhere; ``only`` limits it to some module slugs."""
    return _report(load_source(source, only=only))


def validate_files(files: Mapping[str, str | bytes], *, origin: str = "") -> Report:
    """A whole pack uploaded as files: ``{"pack.yaml": ..., "upi-safety.yaml": ..., "audio/a.mp3": b""}``."""
    return validate_source(PackSource.from_files(files, origin=origin))


def validate_zip(data: bytes, *, filename: str) -> Report:
    """A whole pack uploaded as a zip (files at its top, or in one folder)."""
    try:
        source = PackSource.from_zip(data, filename=filename)
    except SourceError as exc:
        return Report(errors=[exc.problem])
    return validate_source(source)


def validate_text(filename: str, text: str | bytes, *, languages: Iterable[str] | None = None,
                  files: Iterable[str] = ()) -> Report:
    """One module file on its own, every text required in ``languages`` (by default, every
    language Saathi speaks that the file uses somewhere).

    For a module of an existing pack prefer ``validate_source(pack_source.with_file(name,
    text), only=[slug])``: it also checks the module is listed and its audio exists.
    """
    name = Path(filename).name
    stem = name.rsplit(".", 1)[0]
    languages = list(_languages_used(text) if languages is None else languages)
    # A stand-in pack.yaml (JSON is YAML) so the module goes through the one loading path.
    pack_yaml = json.dumps({"slug": "draft", "title": {code: "draft" for code in languages},
                            "languages": languages, "modules": [stem]})
    source = PackSource(origin="", texts={"pack.yaml": pack_yaml, name: text}, files=frozenset({name, *files}))
    report = validate_source(source, only=[stem])
    report.errors = [problem for problem in report.errors if problem.file != "pack.yaml"]
    return report


def _languages_used(text: str | bytes) -> list[str]:
    """Language codes Saathi speaks that appear as keys in a module file ("  hi: ...")."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    keys = set(re.findall(r"^[ \t-]*([a-z]{2,3}):", text, flags=re.MULTILINE))
    return [code for code in schema.LANGUAGES if code in keys] or ["en"]


def _report(loaded: LoadResult) -> Report:
    report = Report(errors=list(loaded.errors), packs=list(loaded.packs))
    for pack in loaded.packs:
        for key in ("languages", "partial_languages"):
            for index, code in enumerate(getattr(pack.pack, key)):
                if language_info(code).voice is None:
                    report.warnings.append(Problem(pack.file, line_of(pack.doc, (key, index)), no_voice(code)))
        for code, who in pack.pack.needs_review.items():
            report.notes.append(Problem(pack.file, line_of(pack.doc, ("needs_review", code)), Said(
                N_("the {language} texts need review by a {who} before learners rely on them; remove the "
                   "line once done"), language=schema.language_name(code), who=reviewer(who))))
        for module in pack.modules:
            price_module(pack=pack, module=module, report=report)
        report.errors += templates.check(pack)
    return report


def reviewer(who: str):
    """``native speaker`` (what the shipped packs say) in the trainer's language; anything else as written."""
    return Said(N_("native speaker")) if who.strip().lower() == "native speaker" else who


def price_module(*, pack: LoadedPack, module: LoadedModule, report: Report) -> None:
    """Add the costs of one module's post-session sequence, and warnings, to ``report``."""
    key = f"{pack.pack.slug}/{module.module.slug}"
    languages = schema.module_languages(pack.pack, module.module)
    declared = set(pack.pack.languages) | set(pack.pack.partial_languages)
    for loc, texts in _texts(module.module):
        for code in sorted(set(texts) - declared):
            report.warnings.append(Problem(module.file, line_of(module.doc, (*loc, code)), Said(
                N_("{where} has {language} text, but the pack does not list '{code}' in languages; it will "
                   "never be sent"), where=schema.phrase(loc, module.doc), language=schema.language_name(code),
                code=code)))
        for code in languages:
            if language_info(code).gsm7 and code in texts:
                warning = _ucs2_warning(texts[code], code, loc, module)
                if warning:
                    report.warnings.append(warning)
    items = module.module.items
    for code in languages:
        def cost(kind: str, text: str, item: str | None = None, code: str = code) -> Cost:
            info = count_segments(text)
            result = Cost(key, code, kind, item, info.encoding, info.units, info.segments)
            report.costs.append(result)
            return result

        cost("greeting", module.module.greeting[code])
        for number, item in enumerate(items, start=1):
            text = render_question(item.question[code], [option[code] for option in item.options],
                                   number, len(items))
            priced = cost("question", text, item.slug)
            budget = language_info(code).question_budget
            if priced.segments > budget:
                report.warnings.append(Problem(
                    module.file, line_of(module.doc, ("items", number - 1, "question", code)), Said(
                        N_("item '{slug}': the {language} question with its options takes {segments} SMS "
                           "({units} {encoding} characters); keep it to {budget}: shorten the question or the "
                           "options"), slug=item.slug, language=schema.language_name(code),
                        segments=priced.segments, units=priced.units, encoding=priced.encoding, budget=budget)))
            cost("explanation", say(code, "The answer is {number}: {explanation}", number=item.answer,
                                    explanation=item.explanation[code]), item.slug)
        cost("rating", module.module.feedback.rating[code])
        cost("comment", module.module.feedback.comment[code])


def no_voice(code: str) -> Said:
    """Why a language's learners are never called (its file says ``voice = "none"``)."""
    return Said(N_("no Twilio voice speaks {language} ('{code}'): its learners get the questions by SMS, "
                   "never by call"), language=schema.language_name(code), code=code)


def _texts(module: schema.Module) -> Iterator[tuple[tuple, dict[str, str]]]:
    """Every text a learner may receive, with its location in the module file."""
    yield ("greeting",), module.greeting
    for index, item in enumerate(module.items):
        yield ("items", index, "question"), item.question
        for number, option in enumerate(item.options):
            yield ("items", index, "options", number), option
        yield ("items", index, "explanation"), item.explanation
    yield ("feedback", "rating"), module.feedback.rating
    yield ("feedback", "comment"), module.feedback.comment


def _ucs2_warning(text: str, code: str, loc: tuple, module: LoadedModule) -> Problem | None:
    info = count_segments(text)
    if info.encoding != UCS2:
        return None
    where = Said(N_("the {language} text for {where}"), language=schema.language_name(code),
                 where=schema.phrase(loc, module.doc))
    swaps = Joined(Said(N_("{char} with {other}"), char=ch, other=LOOKALIKES[ch]) if LOOKALIKES[ch]
                   else Said(N_("{char} with nothing"), char=ch) for ch in info.offending if ch in LOOKALIKES)
    others = " ".join(ch for ch in info.offending if ch not in LOOKALIKES)
    line = line_of(module.doc, (*loc, code))
    if gsm7_lookalike_fix(text) is not None:
        return Problem(module.file, line, Said(N_("{where} is sent as UCS-2 (70 characters per SMS instead of "
                                                  "160) because of look-alike characters: replace {swaps}"),
                                               where=where, swaps=swaps))
    if swaps.parts:
        return Problem(module.file, line, Said(N_("{where} is sent as UCS-2 (70 characters per SMS instead of "
                                                  "160) because {chars} is not in the GSM alphabet; replace "
                                                  "{swaps}"), where=where, chars=others, swaps=swaps))
    return Problem(module.file, line, Said(N_("{where} is sent as UCS-2 (70 characters per SMS instead of 160) "
                                              "because {chars} is not in the GSM alphabet"),
                                           where=where, chars=others))


def cost_table(costs: Iterable[Cost]) -> list[CostRow]:
    """Per language and kind of prompt: how many, the longest, and the total for one learner
    who receives every module's sequence once (explanations as if every answer were wrong)."""
    groups: dict[tuple[str, str], list[Cost]] = defaultdict(list)
    for cost in costs:
        groups[(cost.language, cost.kind)].append(cost)
    rows = []
    for (language, kind), group in sorted(groups.items(), key=lambda g: (g[0][0], list(TEXT_KINDS).index(g[0][1]))):
        encodings = {cost.encoding for cost in group}
        rows.append(CostRow(language, kind, len(group), max(cost.segments for cost in group),
                            sum(cost.segments for cost in group),
                            encodings.pop() if len(encodings) == 1 else "mixed"))
    return rows


__all__ = [
    "GSM7",
    "UCS2",
    "Cost",
    "CostRow",
    "Report",
    "cost_table",
    "price_module",
    "validate_files",
    "validate_paths",
    "validate_source",
    "validate_text",
    "validate_zip",
]
