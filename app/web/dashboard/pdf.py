"""Report pages as PDF: WeasyPrint renders the very HTML the printable page shows.

WeasyPrint fetches what the page links to (the stylesheet). It is given the files from
Saathi's own static folder and nothing else: no request goes out, even for a URL that
somehow got into a report, so a closed network makes no difference.
"""
from __future__ import annotations

import mimetypes
import os
from urllib.parse import urlsplit

from flask import current_app


class PdfUnavailable(RuntimeError):
    """WeasyPrint is there but the system's Pango library is not."""


def static_file(url: str) -> tuple[bytes, str | None]:
    """The bytes and type of a ``/static/...`` URL, from the app's folder; anything else refused."""
    app = current_app
    path = urlsplit(url).path
    prefix = (app.static_url_path or "/static").rstrip("/") + "/"
    root = os.path.realpath(app.static_folder)
    file = os.path.realpath(os.path.join(root, path[len(prefix):])) if path.startswith(prefix) else ""
    if not file.startswith(root + os.sep) or not os.path.isfile(file):
        raise ValueError(f"not fetched for a PDF: {url}")
    with open(file, "rb") as fh:
        return fh.read(), mimetypes.guess_type(file)[0]


def document(html: str, *, base_url: str):
    """The laid-out pages (``weasyprint.Document``) of ``html``, for ``render_pdf`` and for a
    test that reads which text reached the paper."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except OSError as exc:  # cffi could not load libpango
        raise PdfUnavailable(str(exc)) from exc

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            body, mime_type = static_file(url)
            return URLFetcherResponse(url, body, {"Content-Type": mime_type or "application/octet-stream"})

    return HTML(string=html, base_url=base_url, url_fetcher=StaticOnly()).render()


def render_pdf(html: str, *, base_url: str) -> bytes:
    # Without HarfBuzz-Subset (libharfbuzz-subset0) WeasyPrint subsets fonts with fontTools
    # and warns that this is going away; embedding whole fonts instead is slower to mail but
    # silent and future-proof, so a server missing that library still makes a clean PDF.
    return document(html, base_url=base_url).write_pdf(full_fonts=not _harfbuzz_subset())


def _harfbuzz_subset() -> bool:
    try:
        from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

        return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))
    except (ImportError, AttributeError, OSError):
        return False
