"""Mentoring: mentors and job seekers of the same profession, paired for six months."""
