"""Telephone hotline connector: Twilio webhooks, Media Streams, keypad, hand-off."""

from connectors.telephone.routes import router

__all__ = ["router"]
