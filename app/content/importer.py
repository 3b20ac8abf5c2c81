"""Putting validated packs live: upsert into the database, idempotently.

Learners' cards and answers point at ``Item`` rows, so an item must keep its row for as
long as its slug is in the pack: a re-import edits texts in place (a typo fix must not
reset anyone's progress). Identity is the pack slug, the module key ``pack/module`` and
the item slug within its module; renaming a slug therefore makes a new item. Anything that
disappears from the YAML is retired (``active=False``), never deleted: its answers are
history a supervisor still reads. A retired module retires its items too, since the
scheduler only looks at ``Item.active``.

Plain Python over a database session, so the CLI and the trainers' web workspace share it.
The caller commits.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from app.clock import utcnow
from app.content.loader import LoadedPack
from app.i18n import N_, Said, say
from app.models import Item, Module, Pack


class ImportRefused(ValueError):
    """A pack that did not validate completely; importing it would retire what failed."""


@dataclass
class ImportSummary:
    """What changed, by id (``pack``, ``pack/module``, ``pack/module#item``)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired)

    def lines(self, lang: str = "en") -> list[str]:
        """One line per change, then the counts: what ``saathi content import`` prints (in ``lang``)."""
        verbs = ((N_("created {name}"), self.created), (N_("updated {name}"), self.updated),
                 (N_("retired {name}"), self.retired))
        out = [say(lang, verb, name=name) for verb, names in verbs for name in names]
        out.append(say(lang, "{created} created, {updated} updated, {retired} retired, {unchanged} unchanged",
                       created=len(self.created), updated=len(self.updated), retired=len(self.retired),
                       unchanged=len(self.unchanged)))
        return out


def import_packs(*, db: Session, packs: Iterable[LoadedPack], now: datetime | None = None) -> ImportSummary:
    """Create, update and retire rows so the database matches ``packs``; returns what changed.

    Raises ``ImportRefused`` for a pack loaded with errors or only in part.
    """
    packs = list(packs)
    for loaded in packs:
        if not loaded.complete:
            raise ImportRefused(Said(N_("pack '{slug}' did not validate completely; fix its errors first"),
                                     slug=loaded.pack.slug))
    summary = ImportSummary()
    for loaded in packs:
        _import_pack(db=db, loaded=loaded, summary=summary, now=now or utcnow())
    db.flush()
    return summary


def _apply(row, values: dict) -> bool:
    """Set ``values`` on ``row``; True if anything was different."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _note(summary: ImportSummary, name: str, *, created: bool, changed: bool) -> None:
    (summary.created if created else summary.updated if changed else summary.unchanged).append(name)


def _import_pack(*, db: Session, loaded: LoadedPack, summary: ImportSummary, now: datetime) -> None:
    spec = loaded.pack
    pack = db.exec(select(Pack).where(Pack.slug == spec.slug)).first()
    created = pack is None
    if created:
        pack = Pack(slug=spec.slug)
        db.add(pack)
    changed = _apply(pack, {"title": dict(spec.title), "languages": list(spec.languages),
                            "templates": spec.templates.model_dump(exclude_none=True) if spec.templates else None,
                            "partial_languages": list(spec.partial_languages),
                            "needs_review": dict(spec.needs_review)})
    if pack.source_hash != loaded.source_hash:
        pack.source_hash, pack.imported_at = loaded.source_hash, now
    db.flush()
    _note(summary, spec.slug, created=created, changed=changed)

    existing = {module.key: module for module in db.exec(select(Module).where(Module.pack_id == pack.id)).all()}
    seen: set[str] = set()
    for loaded_module in loaded.modules:
        module_spec = loaded_module.module
        key = f"{spec.slug}/{module_spec.slug}"
        seen.add(key)
        module = existing.get(key)
        created = module is None
        if created:
            module = Module(pack_id=pack.id, slug=module_spec.slug, key=key)
            db.add(module)
        changed = _apply(module, {
            "position": loaded_module.position, "title": dict(module_spec.title),
            "greeting": dict(module_spec.greeting), "active": True,
            "feedback": {"rating": dict(module_spec.feedback.rating),
                         "comment": dict(module_spec.feedback.comment)},
        })
        db.flush()
        _note(summary, key, created=created, changed=changed)
        _import_items(db=db, module=module, spec=module_spec, summary=summary)
    for key, module in sorted(existing.items()):
        if key not in seen and module.active:
            module.active = False
            summary.retired.append(key)
            _retire_items(db=db, module=module, keep=set(), summary=summary)


def _import_items(*, db: Session, module: Module, spec, summary: ImportSummary) -> None:
    existing = {item.slug: item for item in db.exec(select(Item).where(Item.module_id == module.id)).all()}
    for position, item_spec in enumerate(spec.items):
        item = existing.get(item_spec.slug)
        created = item is None
        if created:
            item = Item(module_id=module.id, slug=item_spec.slug)
            db.add(item)
        changed = _apply(item, {
            "position": position, "question": dict(item_spec.question),
            "options": [dict(option) for option in item_spec.options], "answer": item_spec.answer,
            "explanation": dict(item_spec.explanation),
            "audio": dict(item_spec.audio) if item_spec.audio else None, "active": True,
        })
        _note(summary, f"{module.key}#{item_spec.slug}", created=created, changed=changed)
    _retire_items(db=db, module=module, keep={item.slug for item in spec.items}, summary=summary,
                  existing=existing.values())


def _retire_items(*, db: Session, module: Module, keep: set[str], summary: ImportSummary,
                  existing: Iterable[Item] | None = None) -> None:
    if existing is None:
        existing = db.exec(select(Item).where(Item.module_id == module.id)).all()
    for item in sorted(existing, key=lambda item: item.position):
        if item.slug not in keep and item.active:
            item.active = False
            summary.retired.append(f"{module.key}#{item.slug}")
