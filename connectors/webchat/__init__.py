"""Web chat connector: the chat API, voice messages and the WeChat-style chat page."""

from fastapi import APIRouter

from connectors.webchat import api, binding, inbox, pages, voice_message

router = APIRouter()
router.include_router(api.router)
router.include_router(voice_message.router)
router.include_router(inbox.router)
router.include_router(binding.router)
router.include_router(pages.router)

STATIC_DIR = pages.STATIC_DIR

__all__ = ["STATIC_DIR", "router"]
