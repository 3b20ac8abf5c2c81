"""People Saathi talks to: sites, cohorts, learners and their phone numbers."""
