"""The long fuzz run: the property-based tests of tests/hardening, with many more inputs.

CI runs the same tests with small counts; this runs them with ``--examples`` inputs in
total (default 100,000), split over the targets by the shares in tests/hardening/fuzz.py,
in ``--jobs`` pytest processes at once. It prints, per target, the inputs really driven
(each test counts its own), the time taken and the outcome, and writes the same as JSON
to ``fuzz-report.json`` in ``--out`` (default test-artifacts/). Exit status 1 if any
target failed; the failing input is in that job's log (``fuzz-<job>.log`` there), with
the hypothesis blob that replays it.

    scripts/fuzz                          # 100,000 inputs, 2 processes, SQLite
    scripts/fuzz --examples 5000 --jobs 1
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/fuzzdb scripts/fuzz --jobs 1 --examples 30000
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.hardening.fuzz import SHARES

HOSTILE = "tests/hardening/test_hostile_input.py::"
# target: (test node id, rough milliseconds per input, to balance the processes)
TARGETS = {
    "parser.normalize": (HOSTILE + "test_normalize_never_raises_and_is_tidy", 1),
    "parser.parse_number": (HOSTILE + "test_parse_number_is_none_or_in_range", 1),
    "parser.parse_choice": (HOSTILE + "test_parse_choice_is_none_or_an_option", 1),
    "parser.match_keyword": (HOSTILE + "test_match_keyword_is_none_or_a_known_command", 1),
    "webhook.sms": (HOSTILE + "test_the_sms_webhook_survives_anything", 12),
    "webhook.sms_raw_bytes": (HOSTILE + "test_raw_form_bytes_invalid_utf8_included", 8),
    "webhook.unsigned": (HOSTILE + "test_unsigned_and_forged_webhooks_are_refused_and_change_nothing", 8),
    "webhook.status": (HOSTILE + "test_the_status_webhook_survives_anything", 8),
    "webhook.voice": (HOSTILE + "test_the_voice_webhooks_survive_anything", 15),
    "conversation": ("tests/hardening/test_conversation_fuzz.py::test_generated_conversations_keep_every_promise",
                     12),
    "api": ("tests/hardening/test_api_fuzz.py::test_every_api_operation_keeps_its_contract", 10),
    "content.text": ("tests/hardening/test_content_fuzz.py::test_text_mutations_give_a_report_not_a_traceback", 25),
    "content.tree": ("tests/hardening/test_content_fuzz.py::test_tree_mutations_give_a_report_not_a_traceback", 30),
}
assert set(TARGETS) == set(SHARES)


def plan(jobs: int) -> list[list[str]]:
    """Targets per process, heaviest first onto the least loaded (estimated time)."""
    loads, groups = [0.0] * jobs, [[] for _ in range(jobs)]
    for target in sorted(TARGETS, key=lambda t: -SHARES[t] * TARGETS[t][1]):
        i = loads.index(min(loads))
        groups[i].append(target)
        loads[i] += SHARES[target] * TARGETS[target][1]
    return [g for g in groups if g]


def outcomes(junit: Path) -> dict[str, tuple[float, str]]:
    """Test name -> (seconds, passed|failed|skipped|error) from pytest's JUnit XML."""
    found = {}
    if not junit.exists():
        return found
    for case in ET.parse(junit).getroot().iter("testcase"):
        verdict = "passed"
        for tag in ("failure", "error", "skipped"):
            if case.find(tag) is not None:
                verdict = {"failure": "failed"}.get(tag, tag)
        found[case.get("name")] = (float(case.get("time", 0)), verdict)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100_000, help="inputs in total (default 100,000)")
    parser.add_argument("--jobs", type=int, default=2, help="pytest processes at once (default 2)")
    parser.add_argument("--only", nargs="*", choices=sorted(TARGETS), help="run only these targets")
    parser.add_argument("--out", type=Path, default=ROOT / "test-artifacts",
                        help="folder for the report and logs (default test-artifacts/)")
    args = parser.parse_args()
    if os.environ.get("TEST_DATABASE_URL") and args.jobs > 1:
        parser.error("with TEST_DATABASE_URL use --jobs 1: the processes would empty each other's database")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    counts_file = out / "fuzz-counts.json"
    counts_file.unlink(missing_ok=True)
    chosen = [t for g in plan(args.jobs) for t in g if not args.only or t in args.only]
    groups = [[t for t in g if t in chosen] for g in plan(args.jobs)]
    env = {**os.environ, "FUZZ_EXAMPLES": str(args.examples), "FUZZ_REPORT": str(counts_file)}
    started, procs = time.monotonic(), []
    for i, group in enumerate(g for g in groups if g):
        junit, log = out / f"fuzz-{i}.xml", out / f"fuzz-{i}.log"
        junit.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--timeout=0",
               f"--junitxml={junit}", *(TARGETS[t][0] for t in group)]
        print(f"job {i}: {', '.join(group)}", flush=True)
        procs.append((subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT),
                      junit, group))
    results = {}
    for proc, junit, group in procs:
        proc.wait()
        found = outcomes(junit)
        for target in group:
            name = TARGETS[target][0].rsplit("::", 1)[1]
            results[target] = found.get(name, (0.0, f"not run (pytest exit {proc.returncode})"))
    wall = time.monotonic() - started
    counts = json.loads(counts_file.read_text()) if counts_file.exists() else {}
    report = {"examples_requested": args.examples, "jobs": args.jobs, "wall_seconds": round(wall, 1),
              "database": "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite",
              "targets": {t: {"inputs": counts.get(t, 0), "seconds": round(results[t][0], 1),
                              "outcome": results[t][1]} for t in chosen}}
    (out / "fuzz-report.json").write_text(json.dumps(report, indent=1))
    print(f"\n{'target':24} {'inputs':>9} {'seconds':>8}  outcome")
    for target, row in report["targets"].items():
        print(f"{target:24} {row['inputs']:>9,} {row['seconds']:>8.1f}  {row['outcome']}")
    total = sum(r["inputs"] for r in report["targets"].values())
    print(f"{'total':24} {total:>9,} {wall:>8.1f}  (wall clock, {args.jobs} processes)")
    return 0 if all(r["outcome"] == "passed" for r in report["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
