"""Journeys: what happens to a learner after the classroom (placements, outcomes)."""
