"""Where the time of one inbound answer goes: ``POST /twilio/sms`` in process, profiled.

Sets up N learners with a quiz question pending (``bench_webhook.prepare``), then answers
each once through Flask's test client (signed, as Twilio posts it; no HTTP server, no
gunicorn) under cProfile, and prints the time per answer, the SQL statements per answer
and the profile's own time grouped by where it is spent (database driver, SQLAlchemy,
Flask, Saathi's code, ...). The figures in docs/performance.md "Where the time goes".

    .venv/bin/python scripts/profile_webhook.py --answers 300 \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench_profile   # an EMPTY database
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_webhook import TOKEN, prepare
from sqlalchemy import event
from twilio.request_validator import RequestValidator

# Where a function's own time is counted: the first group whose marker is in its file path.
GROUPS = [
    ("database driver (psycopg, sqlite3) and waiting for the server", ("/psycopg", "sqlite3.", "_sqlite")),
    ("SQLAlchemy / SQLModel (compile, ORM, flush)", ("/sqlalchemy/", "/sqlmodel/")),
    ("Saathi (app/)", (str(ROOT / "app"),)),
    ("FSRS scheduler", ("/fsrs/",)),
    ("twilio (signature, TwiML)", ("/twilio/",)),
    ("Flask / Werkzeug / Jinja", ("/flask/", "/werkzeug/", "/jinja2/", "/flask_babel/", "/babel/")),
    ("logging and metrics", ("/logging/", "prometheus")),
]


def group_of(filename: str, function: str) -> str:
    where = function if filename == "~" else filename  # C functions: "<method 'execute' of 'sqlite3.Cursor'>"
    for name, markers in GROUPS:
        if any(m in where for m in markers):
            return name
    return "other (Python, json, datetime, ...)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=300)
    parser.add_argument("--database-url", help="an EMPTY database (default: a temporary SQLite file)")
    parser.add_argument("--top", type=int, default=25, help="functions to list by own time")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="saathi-profile-")
    url = args.database_url or f"sqlite:///{tmp}/profile.db"
    phones = prepare(url, args.answers)

    os.environ.update({"SAATHI_DATABASE_URL": url, "SAATHI_TWILIO_AUTH_TOKEN": TOKEN,
                       "SAATHI_PUBLIC_URL": "http://saathi.test", "SAATHI_INSTANCE_PATH": tmp,
                       "SAATHI_LOG_LEVEL": os.environ.get("SAATHI_LOG_LEVEL", "INFO")})
    from app import create_app

    app = create_app()
    client = app.test_client()
    validator = RequestValidator(TOKEN)
    statements = [0]
    event.listen(app.extensions["saathi.engine"], "before_cursor_execute",
                 lambda *_a: statements.__setitem__(0, statements[0] + 1))

    def answer(phone: str) -> None:
        params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": phone, "To": "+15005550006",
                  "Body": "1", "AccountSid": "AC" + "0" * 32}
        headers = {"X-Twilio-Signature": validator.compute_signature("http://saathi.test/twilio/sms", params)}
        response = client.post("/twilio/sms", data=params, headers=headers)
        assert response.status_code == 200, response.data

    answer(phones[0])  # warm-up: imports, first connection, catalogs
    half = len(phones) // 2
    start = time.perf_counter()
    for phone in phones[1:half]:  # the first half without the profiler, for the time it really takes
        answer(phone)
    plain = (time.perf_counter() - start) / (half - 1)
    statements[0] = 0
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    for phone in phones[half:]:
        answer(phone)
    profile.disable()
    elapsed = time.perf_counter() - start
    n = len(phones) - half
    print(f"{1000 * plain:.2f} ms an answer ({half - 1} answers); under the profiler {1000 * elapsed / n:.2f} ms "
          f"({n} answers), {statements[0] / n:.1f} SQL statements each")

    stats = pstats.Stats(profile)
    own = defaultdict(float)
    for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        own[group_of(filename, function)] += tottime
    total = sum(own.values())
    print("\nown time by where it is spent:")
    for name, seconds in sorted(own.items(), key=lambda kv: -kv[1]):
        print(f"  {100 * seconds / total:5.1f} %  {1000 * seconds / n:6.2f} ms/answer  {name}")
    print(f"\ntop {args.top} functions by own time:")
    stats.sort_stats("tottime").print_stats(args.top)
    app.extensions["saathi.engine"].dispose()


if __name__ == "__main__":
    main()
