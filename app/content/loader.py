"""Reading packs: YAML files -> schema objects, or problems that name ``file:line``.

A trainer edits YAML in a text editor; an error they cannot find is an error they cannot
fix. So YAML is parsed with ruamel's round-trip loader, which remembers the line of every
key and list item, and each schema error is mapped back to the line it is about (for a
missing key: the line of the mapping that lacks it).

Where the files come from is a ``PackSource`` (``app.content.sources``).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from app.content import schema
from app.content.sources import (
    PACK_FILE,
    PackSource,
    Problem,
    SourceError,
    clean_name,
    display_path,
    is_yaml,
)
from app.i18n import N_, Said

MAX_NODES = 200_000  # YAML aliases can expand a small file into a huge tree


@dataclass(frozen=True)
class LoadedModule:
    module: schema.Module
    file: str  # as shown in messages
    doc: Any  # the parsed YAML, for the line of anything a later check complains about
    position: int


@dataclass(frozen=True)
class LoadedPack:
    """A pack that passed the schema; ``complete`` is False when some module did not."""

    pack: schema.Pack
    modules: list[LoadedModule]
    source_hash: str
    origin: str
    file: str
    doc: Any = None
    complete: bool = True


@dataclass
class LoadResult:
    packs: list[LoadedPack] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)


# --- YAML with line numbers --------------------------------------------------------------

def parse_yaml(data: str | bytes, *, file: str) -> tuple[Any, list[Problem]]:
    """The round-trip YAML tree of ``data`` (keys and items know their lines), or a problem."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            return None, [Problem(file, line, Said(N_("this is not UTF-8 text; save the file as UTF-8")))]
    try:
        return YAML(typ="rt", pure=True).load(data), []
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return None, [Problem(file, mark.line + 1 if mark else None, _yaml_message(exc))]
    except YAMLError as exc:
        return None, [Problem(file, None, Said(N_("YAML error: {detail}"), detail=str(exc)))]


def _yaml_message(exc: MarkedYAMLError) -> Said:
    problem = str(exc.problem or exc.context or "").strip()
    if "duplicate key" in problem:
        if '"' in problem:
            return Said(N_("'{key}' appears twice in the same block; keep one"), key=problem.split('"')[1])
        return Said(N_("a key appears twice in the same block; keep one"))
    if "\\t" in problem or "tab" in problem:
        return Said(N_("YAML syntax error: a tab character; indent with spaces"))
    if "mapping values are not allowed" in problem:
        return Said(N_("YAML syntax error: a ': ' inside a text; put the whole text in double quotes"))
    return Said(N_("YAML syntax error: {detail}; check the indentation and quotes on this line or the one above"),
                detail=problem)


def plain(node: Any, budget: list[int] | None = None) -> Any:
    """The YAML tree as plain dicts, lists and scalars, for the schema."""
    budget = budget if budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError("too many YAML nodes")
    if isinstance(node, dict):
        return {plain(key, budget): plain(value, budget) for key, value in node.items()}
    if isinstance(node, list):
        return [plain(value, budget) for value in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def line_of(doc: Any, loc: Iterable) -> int:
    """The 1-based line of ``loc`` in a round-trip YAML tree; the deepest line that exists."""
    line = doc.lc.line + 1 if isinstance(doc, (CommentedMap, CommentedSeq)) else 1
    node = doc
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
        else:
            break
        node = node[part]
    return line


def schema_problems(exc: ValidationError, *, doc: Any, file: str) -> list[Problem]:
    problems = []
    data = plain(doc)
    errors = exc.errors()
    reported = {(error["ctx"]["slug"], error["ctx"]["index"]) for error in errors if error["type"] == "duplicate_item"}
    errors += [error for error in schema.duplicate_item_errors(data)
               if (error["ctx"]["slug"], error["ctx"]["index"]) not in reported]
    for error in errors:
        loc, message = schema.explain(error, data)
        problems.append(Problem(file, line_of(doc, loc), message))
    return sorted(problems, key=lambda problem: problem.line or 0)


def _read(source: PackSource, name: str, validate, **kwargs) -> tuple[Any, Any, list[Problem]]:
    """Parse and validate one file: ``(model or None, doc, problems)``."""
    file = source.display(name)
    doc, problems = parse_yaml(source.texts[name], file=file)
    if problems:
        return None, None, problems
    try:
        return validate(plain(doc), **kwargs), doc, []
    except ValidationError as exc:
        return None, doc, schema_problems(exc, doc=doc, file=file)
    except ValueError:
        return None, doc, [Problem(file, None, Said(N_("this file is too large or uses too many YAML aliases")))]


# --- Packs -----------------------------------------------------------------------------------

def load_source(source: PackSource, *, only: Iterable[str] | None = None) -> LoadResult:
    """Load one pack; with ``only`` (module slugs), just those modules and no unlisted-file check."""
    only = set(only) if only is not None else None
    result = LoadResult()
    errors = result.errors
    pack_file = source.display(PACK_FILE)
    if PACK_FILE not in source.texts:
        errors.append(Problem(source.display(PACK_FILE), None, Said(N_("there is no pack.yaml; every pack needs one"))))
        return result
    pack, pack_doc, problems = _read(source, PACK_FILE, schema.validate_pack)
    errors += problems
    raw = plain(pack_doc) if isinstance(pack_doc, dict) else {}
    languages = pack.languages if pack else [code for code in _list(raw.get("languages"))
                                             if isinstance(code, str) and code in schema.LANGUAGES]
    partial = pack.partial_languages if pack else []
    # slug -> its index in pack.yaml's list (the first, if a broken pack lists it twice)
    listed: dict[str, int] = {}
    for index, slug in enumerate(pack.modules if pack else _list(raw.get("modules"))):
        if isinstance(slug, str):
            listed.setdefault(slug, index)
    if pack and source.folder and pack.slug != source.folder:
        errors.append(Problem(pack_file, line_of(pack_doc, ["slug"]),
                              Said(N_("the pack's slug '{slug}' differs from its folder name '{folder}'; "
                                 "rename one so they match"), slug=pack.slug, folder=source.folder)))
    modules: list[LoadedModule] = []
    module_errors = False
    for position, (slug, index) in enumerate(listed.items()):
        if only is not None and slug not in only:
            continue
        name = f"{slug}.yaml"
        if name not in source.texts:
            module_errors = True
            errors.append(Problem(pack_file, line_of(pack_doc, ["modules", index]),
                                  Said(N_("module '{slug}' is listed in pack.yaml but there is no {name} beside it; "
                                     "add the file or remove '{slug}' from modules"), slug=slug, name=name)))
            continue
        module, doc, problems = _read(source, name, schema.validate_module, languages=languages,
                                        partial=partial)
        if module and module.slug != slug:
            problems.append(Problem(source.display(name), line_of(doc, ["slug"]),
                                    Said(N_("this file is {name} but says slug: {found}; "
                                       "a module's slug must be its file name ('{slug}')"),
                                    name=name, found=module.slug, slug=slug)))
        if module:
            problems += _audio_problems(source, name, module, doc)
        if problems:
            module_errors = True
            errors += problems
        else:
            modules.append(LoadedModule(module, source.display(name), doc, position))
    for name in sorted(source.texts):
        stem = name.rsplit(".", 1)[0]
        if name == PACK_FILE or pack_doc is None or (only is not None and stem not in only):
            continue
        if name.endswith(".yml"):
            errors.append(Problem(source.display(name), 1, Said(N_("rename {name} to {stem}.yaml; module files "
                                                                     "end in .yaml"), name=name, stem=stem)))
        elif stem not in listed:
            module_errors = True
            errors.append(Problem(source.display(name), 1, Said(N_("{name} is not listed in pack.yaml; add '{stem}' "
                                                                     "to its modules (or delete the file)"),
                                                                  name=name, stem=stem)))
    if pack:
        digest = hashlib.sha256()
        for name in [PACK_FILE, *(f"{slug}.yaml" for slug in listed)]:
            text = source.texts.get(name, b"")
            digest.update(name.encode() + b"\0" + (text.encode() if isinstance(text, str) else text) + b"\0")
        result.packs.append(LoadedPack(pack, modules, digest.hexdigest(), source.origin, pack_file, pack_doc,
                                       complete=not module_errors and only is None))
    return result


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _audio_problems(source: PackSource, name: str, module: schema.Module, doc: Any) -> list[Problem]:
    """Recorded audio must be a file in the pack: a voice call cannot play a typo."""
    problems = []
    for index, item in enumerate(module.items):
        for code, path in (item.audio or {}).items():
            clean = clean_name(path)
            if clean in source.files:
                continue
            line = line_of(doc, ["items", index, "audio", code])
            where = Said(N_("the {language} audio of item '{slug}'"), language=schema.language_name(code),
                         slug=item.slug)
            if not clean or path.startswith(("/", "\\")):
                problems.append(Problem(source.display(name), line, Said(
                    N_("{where} must be a path inside the pack folder, not '{path}'"), where=where, path=path)))
            else:
                problems.append(Problem(source.display(name), line, Said(
                    N_("{where} is '{path}', but there is no {file}; add the file or fix the path"),
                    where=where, path=path, file=source.display(clean))))
    return problems


def load_paths(paths: Iterable[Path | str], *, whole_packs: bool = False) -> LoadResult:
    """Load what the trainer named: a content folder, pack folders or module files.

    A module file loads just that module (with its pack's languages) unless
    ``whole_packs``, which importing needs: a pack goes live whole or not at all.
    """
    wanted: dict[Path, set[str] | None] = {}
    result = LoadResult()
    for given in paths:
        path = Path(given)
        if path.is_file() and path.name != PACK_FILE and is_yaml(path.name):
            slugs = wanted.setdefault(path.parent.resolve(), set())
            if slugs is not None:
                slugs.add(path.stem)
            if whole_packs:
                wanted[path.parent.resolve()] = None
        elif path.is_file() and path.name == PACK_FILE:
            wanted[path.parent.resolve()] = None
        elif path.is_dir() and (path / PACK_FILE).is_file():
            wanted[path.resolve()] = None
        elif path.is_dir():
            found = sorted(child for child in path.iterdir() if (child / PACK_FILE).is_file())
            for child in sorted(path.iterdir()):
                if child.is_dir() and child not in found and any(is_yaml(f.name) for f in child.iterdir()):
                    result.errors.append(Problem(display_path(child), None, Said(N_(
                        "this folder has YAML files but no pack.yaml; add one or move the files into a pack"))))
            if not found and not result.errors:
                result.errors.append(Problem(display_path(path), None, Said(N_(
                    "no packs here (a pack is a folder with a pack.yaml)"))))
            for child in found:
                wanted[child.resolve()] = None
        else:
            result.errors.append(Problem(str(given), None, Said(N_("no such file or folder"))))
    seen: dict[str, str] = {}
    for folder, only in wanted.items():
        try:
            source = PackSource.from_dir(folder)
        except SourceError as exc:
            result.errors.append(exc.problem)
            continue
        loaded = load_source(source, only=only)
        result.errors += loaded.errors
        for pack in loaded.packs:
            if pack.pack.slug in seen:
                result.errors.append(Problem(pack.file, line_of(pack.doc, ["slug"]),
                                             Said(N_("pack slug '{slug}' is also used by {other}"),
                                                  slug=pack.pack.slug, other=seen[pack.pack.slug])))
                continue
            seen[pack.pack.slug] = pack.file
            result.packs.append(pack)
    return result
