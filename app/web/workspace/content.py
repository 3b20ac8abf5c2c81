"""Content packs in the browser: upload or edit, see errors and SMS cost, preview, publish."""
from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlmodel import select

from app import languages
from app.clock import get_clock
from app.content.schema import module_languages
from app.db import get_db
from app.models import Item, Module, Pack
from app.web.i18n import said_here
from app.web.workspace import bp
from app.web.workspace.forms import EditForm, UploadForm, choices
from app.web.workspace.preview import preview_row, preview_schema

MAX_UPLOAD = 5 * 1024 * 1024
PACK_FILE = "pack.yaml"


def _drafts_module():
    """The content tools (``app.content``'s loader, validator, importer), imported on use so
    the rest of the staff app runs even where they are absent."""
    try:
        from app.web.workspace import drafts as module
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("app.content"):
            raise
        abort(503, description="the content tools are not installed")
    return module


def drafts():
    return _drafts_module().DraftStore(Path(current_app.instance_path) / "drafts")


def library():
    return _drafts_module().PackLibrary(Path(current_app.config["CONTENT_DIR"]),
                                        Path(current_app.instance_path) / "packs")


def check_draft(draft, lib):
    return _drafts_module().check_draft(draft, lib, live_hash=live_hash)


def live_hash(slug: str) -> str | None:
    return get_db().exec(select(Pack.source_hash).where(Pack.slug == slug)).first()


@bp.get("/content")
def content():
    """Packs that are live (with their modules), and the forms to upload or edit one."""
    db = get_db()
    packs = db.exec(select(Pack).order_by(Pack.slug)).all()
    modules = db.exec(select(Module).order_by(Module.position, Module.key)).all()
    slugs = library().slugs()
    upload = UploadForm()
    upload.pack.choices = choices([("", _("— none: check the file on its own —"))] + [(s, s) for s in slugs])
    return render_template("workspace/content.html", packs=packs, modules=modules, upload=upload, slugs=slugs,
                           awaiting=awaiting_review(packs, modules))


REVIEWERS = {"native speaker": _l("native speaker")}


def awaiting_review(packs, modules) -> list[dict]:
    """Per language, what a reviewer must still read: Saathi's own texts (its file says
    ``needs_review``: the UI, SMS and call catalog and command words) and the live modules
    of packs whose ``needs_review`` names it (those with a text in that language)."""
    by_language: dict[str, dict] = {}
    for code, info in languages.current().items():
        if info.needs_review:
            entry = by_language.setdefault(code, {"code": code, "who": set(), "catalog": True, "modules": []})
            entry["who"].add(info.needs_review)
    for pack in packs:
        for code, who in (pack.needs_review or {}).items():
            entry = by_language.setdefault(code, {"code": code, "who": set(), "catalog": False, "modules": []})
            entry["who"].add(who)
            entry["modules"] += [module for module in modules if module.pack_id == pack.id and module.active
                                 and code in (module.title or {})]
    for entry in by_language.values():
        entry["who"] = [str(REVIEWERS.get(who, who)) for who in sorted(entry["who"])]
    return [by_language[code] for code in sorted(by_language)]


@bp.post("/content/upload")
def content_upload():
    """Store an uploaded module file (.yaml) or pack (.zip) as a draft and show its check."""
    form = UploadForm()
    form.pack.choices = choices([("", "")] + [(s, s) for s in library().slugs()])
    upload = form.file.data
    if not form.validate_on_submit() or not upload or not getattr(upload, "filename", ""):
        flash(_("Choose a .yaml or .zip file."), "error")
        return redirect(url_for("workspace.content"))
    name = Path(upload.filename).name
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        abort(413)
    if name.endswith(".zip"):
        kind, pack = "zip", None
    elif name.endswith((".yaml", ".yml")):
        kind, pack = "file", form.pack.data or None
    else:
        flash(_("Choose a .yaml or .zip file."), "error")
        return redirect(url_for("workspace.content"))
    draft = drafts().save(user_id=current_user.id, kind=kind, filename=name, data=data, pack=pack,
                          now=get_clock().now())
    return redirect(url_for("workspace.content_draft", token=draft.token))


@bp.route("/content/edit", methods=["GET", "POST"])
def content_edit():
    """Edit one file of a pack in a textarea (``?pack=&file=`` picks it, ``&draft=`` reopens a
    checked draft); Check makes a draft. 404 for an unknown pack or file."""
    lib = library()
    form = EditForm()
    form.pack.choices = choices([(s, s) for s in lib.slugs()])
    slug = request.values.get("pack") or (lib.slugs() or [""])[0]
    source = lib.source(slug, live_hash=live_hash(slug)) if slug else None
    if source is None:
        abort(404)
    names = [PACK_FILE] + sorted(n for n in source.texts if n != PACK_FILE)
    form.filename.choices = choices([(n, n) for n in names])
    if form.validate_on_submit():
        draft = drafts().save(user_id=current_user.id, kind="file", filename=form.filename.data,
                              data=form.text.data.replace("\r\n", "\n").encode("utf-8"), pack=slug,
                              now=get_clock().now())
        return redirect(url_for("workspace.content_draft", token=draft.token))
    filename = request.args.get("file") or (names[1] if len(names) > 1 else PACK_FILE)
    if filename not in names:
        abort(404)
    if request.method == "GET":
        form.pack.data, form.filename.data = slug, filename
        draft = drafts().load(request.args.get("draft", ""), user_id=current_user.id)
        text = draft.data if draft and draft.pack == slug and draft.filename == filename else source.texts[filename]
        form.text.data = text.decode("utf-8-sig") if isinstance(text, bytes) else text
    return render_template("workspace/edit.html", form=form, slug=slug, names=names, filename=filename)


def _draft_or_404(token: str):
    draft = drafts().load(token, user_id=current_user.id)
    if draft is None:
        abort(404)
    return draft


@bp.get("/content/drafts/<token>")
def content_draft(token: str):
    """The check of a draft: errors (file:line: message), warnings, cost per language, a preview
    of each module, and the Publish button only when there is no error."""
    draft = _draft_or_404(token)
    checked = check_draft(draft, library())
    # A single file is checked within its pack, but the trainer asked about that file only.
    only = draft.filename.rsplit(".", 1)[0] if draft.kind == "file" and draft.pack else None
    previews = [(pack.pack, module.module, preview_schema(module.module, module_languages(pack.pack, module.module)))
                for pack in checked.report.packs for module in pack.modules
                if only is None or module.module.slug == only]
    costs = [c for c in checked.report.costs if only is None or c.module.endswith("/" + only)]
    text = None
    if draft.kind == "file":
        text = draft.data.decode("utf-8-sig", errors="replace")
    return render_template("workspace/draft.html", draft=draft, checked=checked, report=checked.report,
                           costs=_drafts_module().cost_table(costs), module_previews=previews, text=text)


@bp.post("/content/drafts/<token>/publish")
def content_publish(token: str):
    """Validate the draft again and import it; refused (nothing changes) if anything is wrong."""
    draft = _draft_or_404(token)
    checked = check_draft(draft, library())
    if not checked.publishable:
        flash(_("This draft has errors; fix them before publishing."), "error")
        return redirect(url_for("workspace.content_draft", token=token))
    from app.content.importer import ImportRefused, import_packs

    db = get_db()
    try:
        summary = import_packs(db=db, packs=checked.report.packs, now=get_clock().now())
    except ImportRefused as exc:
        db.rollback()
        flash(said_here(exc.args[0]), "error")
        return redirect(url_for("workspace.content_draft", token=token))
    db.commit()
    for pack in checked.report.packs:
        library().save(pack.pack.slug, checked.source, pack.source_hash)
    drafts().delete(token)
    flash(_("Published: %(created)d created, %(updated)d updated, %(retired)d retired.",
            created=len(summary.created), updated=len(summary.updated), retired=len(summary.retired)), "success")
    return redirect(url_for("workspace.content"))


@bp.get("/modules/<int:module_id>/preview")
def module_preview(module_id: int):
    """A live module as learners receive it, in each of its pack's languages, with segment counts."""
    db = get_db()
    module = db.get(Module, module_id)
    if module is None:
        abort(404)
    pack = db.get(Pack, module.pack_id)
    items = db.exec(select(Item).where(Item.module_id == module.id, Item.active)
                    .order_by(Item.position, Item.id)).all()
    languages = list(pack.languages or ["en"])
    return render_template("workspace/preview.html", module=module, pack=pack,
                           previews=preview_row(module, items, languages))
