"""``saathi journeys record|show``: a regional lead keeps journeys from the command line."""
from __future__ import annotations

from tests.test_people_cli import write

LEARNERS = """phone,name,site,language,cohort
+919820000001,Asha Devi,Andheri Mall,en,andheri-march
"""


def setup(runner, tmp_path):
    runner.invoke(args=["sites", "add", "Andheri Mall", "--country", "IN"])
    runner.invoke(args=["sites", "add", "Bandra Bank", "--country", "IN"])
    result = runner.invoke(args=["learners", "import", write(tmp_path, "a.csv", LEARNERS)])
    assert result.exit_code == 0, result.output


def test_record_then_show(runner, app, tmp_path):
    setup(runner, tmp_path)
    done = runner.invoke(args=["journeys", "record", "098200 00001", "graduated", "--on", "2026-02-01"])
    assert done.exit_code == 0, done.output
    assert "+91 ••••• •0001: graduated from 2026-02-01" in done.output
    done = runner.invoke(args=["journeys", "record", "+919820000001", "placement", "--kind", "trial", "--on",
                               "2026-02-10", "--until", "2026-04-10", "--site", "Bandra Bank", "--note", "Teller"])
    assert done.exit_code == 0, done.output
    shown = runner.invoke(args=["journeys", "show", "+919820000001"]).output
    assert "+919820000001" not in shown
    lines = shown.splitlines()
    assert lines[1].split() == ["2026-02-01", "graduated", "@", "Andheri", "Mall"]
    assert lines[2].split() == ["2026-02-10..2026-04-10", "placement", "trial", "@", "Bandra", "Bank", "Teller"]


def test_refusals_are_one_line(runner, app, tmp_path):
    setup(runner, tmp_path)
    future = runner.invoke(args=["journeys", "record", "+919820000001", "enrolled", "--on", "2026-03-05"])
    assert future.exit_code != 0 and "A step cannot be dated in the future." in future.output
    kindless = runner.invoke(args=["journeys", "record", "+919820000001", "outcome", "--on", "2026-03-01"])
    assert kindless.exit_code != 0 and "Choose the kind" in kindless.output
    nobody = runner.invoke(args=["journeys", "record", "+919820000009", "enrolled", "--on", "2026-03-01"])
    assert nobody.exit_code != 0 and "no learner" in nobody.output
    assert "no steps recorded" in runner.invoke(args=["journeys", "show", "+919820000001"]).output


def test_an_employer_by_name_and_a_programmes_own_milestone(runner, app, tmp_path):
    setup(runner, tmp_path)
    runner.invoke(args=["journeys", "record", "+919820000001", "graduated", "--on", "2026-02-01"])
    done = runner.invoke(args=["journeys", "record", "+919820000001", "placement", "--kind", "trial", "--on",
                               "2026-02-10", "--employer", "Hotel Sahara Star"])
    assert done.exit_code == 0, done.output
    assert "@ Hotel Sahara Star" in runner.invoke(args=["journeys", "show", "+919820000001"]).output
    added = runner.invoke(args=["journeys", "milestone-add", "Andheri Mall", "Licence", "Driving licence",
                                "Have you got your driving licence?"])
    assert added.exit_code == 0 and "milestone licence added" in added.output
    assert runner.invoke(args=["journeys", "milestone-add", "Andheri Mall", "cv", "CV", "?"]).exit_code == 1
    asked = runner.invoke(args=["journeys", "ask-milestone", "+919820000001", "licence"])
    assert asked.exit_code == 0 and "licence asked" in asked.output
    again = runner.invoke(args=["journeys", "ask-milestone", "+919820000001", "licence"])
    assert again.exit_code == 1 and "already asked" in again.output
    assert runner.invoke(args=["journeys", "ask-milestone", "+919820000001", "nothing"]).exit_code == 1
