"""Simulated cohorts: what a schedule costs and what it leaves in learners' heads.

``saathi simulate`` (app/cli/simulate.py) runs simulated learners on a virtual clock under
several schedules (``schedules``). Two engines give the same figures: ``runner`` sends
every message through the real planner, outbox and conversation engine on a throwaway
database; ``fast`` (with ``rows``) replays their rules in memory, a hundred times faster.
The learners forget and answer according to ``learner_model`` (published memory models,
deliberately not FSRS); ``compare`` runs the schedules side by side; ``report`` prints
the table and draws the chart. docs/learning.md has the results and the reasoning.
"""
