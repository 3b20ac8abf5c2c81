"""What supervisors read: progress, feedback, recognition and period summaries, per site.

Plain keyword-only functions over a database session and a site scope (``site_ids``: a
set of site ids, or ``None`` for every site, as ``app.access.visible_site_ids`` returns),
so the dashboard, the CSV/HTML reports and the JSON API share one set of numbers.
Everything is aggregated in SQL; Python only merges a handful of grouped rows.
"""
