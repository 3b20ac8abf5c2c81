"""Content on its way to going live: uploaded drafts, and the pack sources they change.

A draft is what a trainer uploaded or typed, kept under ``instance/drafts/`` between the
"check" page and the "publish" button, so publishing re-reads and re-validates exactly
what was checked (never a copy sent back by the browser). Drafts belong to the user who
made them and are pruned after two days.

A module file is always checked as part of its whole pack (the pack a trainer picked),
so the validator sees the listing in pack.yaml and the importer gets a complete pack.
The pack it is merged into is the one that is live: the copy saved at the last web
publish when its hash matches the database, otherwise the folder under ``CONTENT_DIR``.
"""
from __future__ import annotations

import json
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from app.content.sources import PACK_FILE, PackSource, Problem, SourceError
from app.content.validator import Report, cost_table, validate_source, validate_text, validate_zip
from app.i18n import N_, Said

DRAFT_TTL = timedelta(days=2)
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
__all__ = ["Checked", "Draft", "DraftStore", "PackLibrary", "check_draft", "cost_table"]


@dataclass
class Draft:
    token: str
    user_id: int
    kind: str  # "zip": a whole pack; "file": one YAML file of ``pack`` (or of no pack: check only)
    filename: str
    pack: str | None
    created: datetime
    data: bytes


class DraftStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def save(self, *, user_id: int, kind: str, filename: str, data: bytes, pack: str | None,
             now: datetime) -> Draft:
        self.prune(now)
        token = secrets.token_urlsafe(24)
        folder = self.root / token
        folder.mkdir(parents=True)
        (folder / "data").write_bytes(data)
        meta = {"user_id": user_id, "kind": kind, "filename": Path(filename).name, "pack": pack,
                "created": now.isoformat()}
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        return Draft(token, user_id, kind, meta["filename"], pack, now, data)

    def load(self, token: str, *, user_id: int) -> Draft | None:
        """The user's draft, or None (unknown, malformed token, or someone else's)."""
        if not TOKEN.match(token or ""):
            return None
        folder = self.root / token
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            data = (folder / "data").read_bytes()
        except (OSError, ValueError):
            return None
        if meta.get("user_id") != user_id:
            return None
        return Draft(token, meta["user_id"], meta["kind"], meta["filename"], meta.get("pack"),
                     datetime.fromisoformat(meta["created"]), data)

    def delete(self, token: str) -> None:
        if TOKEN.match(token or ""):
            shutil.rmtree(self.root / token, ignore_errors=True)

    def prune(self, now: datetime) -> None:
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            try:
                created = datetime.fromisoformat(json.loads((folder / "meta.json").read_text())["created"])
            except (OSError, ValueError, KeyError):
                continue
            if now - created > DRAFT_TTL:
                shutil.rmtree(folder, ignore_errors=True)


class PackLibrary:
    """Where the live text of each pack is: the last web publish, or the content folder."""

    def __init__(self, content_dir: Path, published_dir: Path):
        self.content_dir, self.published_dir = Path(content_dir), Path(published_dir)

    def _manifest(self, slug: str) -> Path:
        return self.published_dir / f"{slug}.json"

    def slugs(self) -> list[str]:
        found = set()
        if self.content_dir.is_dir():
            found |= {p.name for p in self.content_dir.iterdir() if (p / PACK_FILE).is_file()}
        if self.published_dir.is_dir():
            found |= {p.stem for p in self.published_dir.glob("*.json")}
        return sorted(s for s in found if SLUG.match(s))

    def source(self, slug: str, *, live_hash: str | None = None) -> PackSource | None:
        if not SLUG.match(slug or ""):
            return None
        manifest = self._manifest(slug)
        if manifest.is_file():
            saved = json.loads(manifest.read_text(encoding="utf-8"))
            if live_hash is None or saved.get("source_hash") == live_hash or not (self.content_dir / slug).is_dir():
                return PackSource(origin=slug, texts=saved["texts"], files=frozenset(saved["files"]), folder=None)
        folder = self.content_dir / slug
        if (folder / PACK_FILE).is_file():
            return PackSource.from_dir(folder, origin=slug)
        return None

    def save(self, slug: str, source: PackSource, source_hash: str) -> None:
        """Keep what was published, so the next edit starts from the live text."""
        self.published_dir.mkdir(parents=True, exist_ok=True)
        texts = {name: (text.decode("utf-8-sig") if isinstance(text, bytes) else text)
                 for name, text in source.texts.items()}
        manifest = {"texts": texts, "files": sorted(source.files), "source_hash": source_hash}
        tmp = self._manifest(slug).with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(self._manifest(slug))


@dataclass
class Checked:
    """A draft as validated: the report, the source to publish, and whether it may go live."""

    report: Report
    source: PackSource | None
    publishable: bool
    note: str | None = None


def check_draft(draft: Draft, library: PackLibrary, *, live_hash=lambda slug: None) -> Checked:
    """Validate a draft the way it would be imported: a whole pack, or a file merged into one."""
    if draft.kind == "zip":
        try:
            source = PackSource.from_zip(draft.data, filename=draft.filename)
        except SourceError as exc:
            return Checked(Report(errors=[exc.problem]), None, False)
        report = validate_zip(draft.data, filename=draft.filename)
        return Checked(report, source, report.ok and bool(report.packs) and all(p.complete for p in report.packs))
    if not draft.pack:
        if draft.filename == PACK_FILE:
            return Checked(Report(errors=[Problem(draft.filename, None, Said(N_(
                "upload a pack.yaml inside a zip of its pack, or pick the pack it belongs to")))]), None, False)
        return Checked(validate_text(draft.filename, draft.data), None, False,
                       note=Said(N_("no pack chosen: checked on its own in every language; pick its pack to publish it")))
    base = library.source(draft.pack, live_hash=live_hash(draft.pack))
    if base is None:
        return Checked(Report(errors=[Problem(draft.filename, None, Said(N_("there is no pack '{pack}'"), pack=draft.pack))]), None, False)
    source = base.with_file(draft.filename, draft.data)
    report = validate_source(source)
    return Checked(report, source, report.ok and bool(report.packs) and all(p.complete for p in report.packs))
