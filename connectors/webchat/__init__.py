"""Web chat connector: the chat API and the WeChat-style chat page."""

from connectors.webchat.api import router

__all__ = ["router"]
