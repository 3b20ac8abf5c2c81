"""The voice channel: quiz calls read aloud with TwiML, answered on the keypad.

For learners who read little or not at all the phone call is the course. A call carries
the same prompts as SMS and grades them through the same engine functions, so answers
and cards do not depend on the channel. ``calls`` plans calls, ``flow`` runs one as TwiML,
``status`` learns how each dial ended, ``incoming`` turns a missed call into a callback,
``transcript`` plays a call as text for the simulator.
"""
