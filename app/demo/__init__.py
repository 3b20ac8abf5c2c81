"""The demo programme ``saathi demo`` loads: two sites, their staff and learners, and weeks of
history made by driving the real engine with simulated learners on a stepped clock.

``programme`` is the cast (who, where, which sessions when), ``history`` plays it through
the engine, ``accounts`` keeps the demo sign-ins that the sign-in page shows in demo mode.
"""
