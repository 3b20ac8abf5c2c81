"""Channels: SMS, voice and WhatsApp side by side behind one interface (``base.Channel``)."""
