"""Sending notifications through Twilio (used by the outbox worker only)."""
