"""Channels to learners' phones: Twilio SMS and voice, and a console stand-in for development."""
