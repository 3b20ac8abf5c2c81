"""Simulated cohorts: what a schedule costs and what it leaves in learners' heads.

``saathi simulate`` (app/cli/simulate.py) runs simulated learners through the real planner,
engine and outbox on a throwaway database and a virtual clock. The learners forget and
answer according to ``learner_model`` (a published memory model, deliberately not FSRS);
``schedules`` lists what is compared; ``runner`` drives the clock; ``report`` prints the
table and draws the chart. docs/learning.md has the results and the reasoning.
"""
