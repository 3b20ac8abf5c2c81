"""Where a pack's files come from: a folder under ``content/``, a zip a trainer uploaded, or
names and texts from a web form. Whatever the origin, the loader sees the same
``PackSource``, so the web page shows exactly the errors the CLI would; and every
``Problem`` names the file (and line) a trainer will open to fix it.
"""
from __future__ import annotations

import io
import os
import posixpath
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from app.i18n import N_, Said, said

PACK_FILE = "pack.yaml"
MAX_TEXT_BYTES = 1_000_000  # one module file; far above any real one


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a look) in a pack, where a trainer will find it."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return self.where() + f": {self.message}"

    def where(self) -> str:
        """``file:line`` (or the file alone): the same in every language."""
        return f"{self.file}:{self.line}" if self.line else self.file

    def said(self, lang: str) -> str:
        """``file:line: message`` with the message in ``lang`` (see ``app.i18n.Said``)."""
        return self.where() + f": {said(self.message, lang)}"


class SourceError(Exception):
    """The files could not be read at all (a broken zip, a missing folder)."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class PackSource:
    """The files of one pack, by name relative to the pack folder (``pack.yaml``, ``audio/x.mp3``).

    ``texts`` holds the YAML files, ``files`` the names of every file (audio is only checked
    for existence, never read). ``origin`` prefixes names in messages; ``folder`` is the
    directory name, which must equal the pack slug when the pack lives under ``content/``.
    """

    origin: str
    texts: Mapping[str, str | bytes]
    files: frozenset[str]
    folder: str | None = None

    @classmethod
    def from_dir(cls, path: Path | str, *, origin: str | None = None) -> PackSource:
        path = Path(path)
        if not (path / PACK_FILE).is_file():
            raise SourceError(Problem(display_path(path), None, Said(N_("no {file} in this folder"), file=PACK_FILE)))
        files, texts = set(), {}
        for found in sorted(path.rglob("*")):
            if found.is_file() and not any(part.startswith(".") for part in found.relative_to(path).parts):
                name = found.relative_to(path).as_posix()
                files.add(name)
                if is_yaml(name) and "/" not in name:
                    texts[name] = found.read_bytes()
        return cls(origin if origin is not None else display_path(path), texts, frozenset(files), path.name)

    @classmethod
    def from_files(cls, files: Mapping[str, str | bytes], *, origin: str = "") -> PackSource:
        """Uploaded files by name; YAML ones are parsed, the others only need to exist."""
        names = {clean_name(name): data for name, data in files.items()}
        texts = {name: data for name, data in names.items() if is_yaml(name) and "/" not in name}
        return cls(origin, texts, frozenset(names))

    @classmethod
    def from_zip(cls, data: bytes, *, filename: str) -> PackSource:
        """A zipped pack: its files at the top, or inside one folder (as zipping a folder does)."""
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            infos = [info for info in archive.infolist() if not info.is_dir()
                     and not posixpath.basename(info.filename).startswith(".")
                     and not info.filename.startswith("__MACOSX/")]
        except zipfile.BadZipFile:
            raise SourceError(Problem(filename, None, Said(N_("this is not a zip file")))) from None
        prefix = ""
        if not any(info.filename == PACK_FILE for info in infos):
            tops = {info.filename.split("/", 1)[0] for info in infos}
            if len(tops) == 1 and any(info.filename == f"{next(iter(tops))}/{PACK_FILE}" for info in infos):
                prefix = next(iter(tops)) + "/"
        files: dict[str, str | bytes] = {}
        for info in infos:
            if not info.filename.startswith(prefix):
                continue
            name = info.filename[len(prefix):]
            if is_yaml(name) and "/" not in name:
                if info.file_size > MAX_TEXT_BYTES:
                    raise SourceError(Problem(f"{filename}/{name}", None, Said(N_("file too large for a module"))))
                try:
                    files[name] = archive.read(info)
                except (zipfile.BadZipFile, RuntimeError, NotImplementedError) as exc:
                    raise SourceError(Problem(f"{filename}/{name}", None,
                                                      Said(N_("cannot unzip this file ({detail})"), detail=str(exc)))) from None
            else:
                files[name] = b""
        # The folder inside a zip is whatever the trainer's computer called it: not checked.
        return cls.from_files(files, origin=filename)

    def with_file(self, name: str, text: str | bytes) -> PackSource:
        """This pack with one YAML file replaced or added: an uploaded module, before it goes live."""
        name = clean_name(name)
        return replace(self, texts={**self.texts, name: text}, files=self.files | {name})

    def display(self, name: str) -> str:
        return f"{self.origin}/{name}" if self.origin else name


def display_path(path: Path) -> str:
    """A path as the trainer typed it: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:  # another drive on Windows
        return str(path)


def is_yaml(name: str) -> bool:
    return name.endswith((".yaml", ".yml"))


def clean_name(name: str) -> str:
    name = posixpath.normpath(name.replace("\\", "/")).lstrip("/")
    return "" if name.startswith("..") else name
