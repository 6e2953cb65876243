"""Twilio endpoints of the hotline: voice webhook, media stream, gather, dial
result, status, audio. Every webhook is checked against Twilio's signature."""

from __future__ import annotations

import contextlib
import logging
import re

from fastapi import APIRouter, HTTPException, Request, WebSocket
from fastapi.responses import FileResponse, Response
from starlette.websockets import WebSocketDisconnect, WebSocketState
from twilio.twiml.voice_response import Connect, VoiceResponse

from assistant.deps import SettingsDep
from connectors.telephone import calls, gather
from connectors.telephone.services import (
    DatabaseUnavailable,
    PhoneServices,
    get_services,
    lifespan,
)
from connectors.telephone.state import CallState
from connectors.telephone.stream import StreamCall
from connectors.telephone.twilio_auth import (
    public_url,
    stream_params,
    stream_url,
    verified_form,
)

logger = logging.getLogger(__name__)

router = APIRouter(tags=["telephone"], lifespan=lifespan)

_AUDIO_NAME = re.compile(r"^([0-9a-f]{32})\.wav$")
STREAM_ATTEMPTS = 3  # a stream that keeps dropping: the call goes on in gather mode


def _twiml(body: str) -> Response:
    return Response(content=body, media_type="application/xml")


def stream_twiml(
    services: PhoneServices, *, call_sid: str, caller: str, attempt: int = 0
) -> str:
    """``<Connect><Stream>`` with the call, caller and a one-time token."""
    settings = services.settings
    response = VoiceResponse()
    connect = Connect()
    stream = connect.stream(url=stream_url(settings))
    params = stream_params(settings, call_sid=call_sid, caller=caller)
    for name, value in params.items():
        stream.parameter(name=name, value=value)
    response.append(connect)
    # if the stream drops, reconnect (with a new token) instead of hanging up
    again = public_url(settings, f"/twilio/voice?attempt={attempt + 1}")
    response.redirect(again, method="POST")
    return str(response)


@router.post("/twilio/voice")
async def twilio_voice(
    request: Request, settings: SettingsDep, attempt: int = 0
) -> Response:
    """Incoming call (signed): stream to our recogniser, or gather with our audio
    (also when the stream dropped twice: the call goes on without it)."""
    form = await verified_form(request, settings)
    services = get_services(request.app)
    call_sid, caller = form.get("CallSid", ""), form.get("From", "")
    if not call_sid:
        raise HTTPException(status_code=400, detail="CallSid missing")
    state = CallState(call_sid, caller)
    try:
        info = await services.in_db(
            lambda: calls.start_call(
                settings, call_sid=call_sid, caller=caller, mode=services.mode
            )
        )
    except DatabaseUnavailable:
        return _twiml(await gather.degraded(services, state, "database_down"))
    if services.mode == "stream" and attempt < STREAM_ATTEMPTS:
        return _twiml(
            stream_twiml(services, call_sid=call_sid, caller=caller, attempt=attempt)
        )
    state.elder = info.elder_mode
    return _twiml(await gather.greeting(services, state))


@router.post("/twilio/gather")
async def twilio_gather(request: Request, settings: SettingsDep) -> Response:
    """A Gather result (signed): the caller's words or keys, or nothing."""
    form = await verified_form(request, settings)
    services = get_services(request.app)
    http = getattr(request.app.state, "http", None)
    query = dict(request.query_params)
    return _twiml(await gather.handle(services, form, query, http=http))


@router.post("/twilio/dial")
async def twilio_dial(request: Request, settings: SettingsDep) -> Response:
    """The ``<Dial>`` to the duty phone ended (signed): a call-back if unanswered."""
    form = await verified_form(request, settings)
    services = get_services(request.app)
    query = dict(request.query_params)
    return _twiml(await gather.dial_ended(services, form, query))


@router.post("/twilio/status", status_code=204)
async def twilio_status(request: Request, settings: SettingsDep) -> Response:
    """Call status callback (signed): recorded on the call."""
    form = await verified_form(request, settings)
    call_sid, status = form.get("CallSid", ""), form.get("CallStatus", "")
    if call_sid and status:
        duration = form.get("CallDuration", "")
        services = get_services(request.app)
        try:
            await services.in_db(
                lambda: calls.set_status(
                    settings, call_sid=call_sid, status=status, duration=duration
                )
            )
        except DatabaseUnavailable:
            # Twilio retries nothing here; the call itself is unaffected
            logger.warning("call %s: status %s not recorded", call_sid, status)
    return Response(status_code=204)


@router.get("/twilio/audio/{name}")
async def twilio_audio(name: str, request: Request) -> FileResponse:
    """Our synthesised audio, for ``<Play>`` (names are unguessable content hashes)."""
    match = _AUDIO_NAME.match(name)
    services = get_services(request.app)
    path = services.tts.wav_path(match.group(1)) if match else None
    if path is None or not path.is_file():
        raise HTTPException(status_code=404, detail="no such audio")
    return FileResponse(path, media_type="audio/wav")


@router.websocket("/twilio/stream")
async def twilio_stream(websocket: WebSocket) -> None:
    """Twilio Media Streams: caller audio in, our speech out (see ``StreamCall``)."""
    await websocket.accept()
    services = get_services(websocket.app)
    call = StreamCall(websocket, services, getattr(websocket.app.state, "http", None))
    services.calls.add(call)
    await call.run()
    if websocket.client_state == WebSocketState.CONNECTED:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await websocket.close(code=1000)  # the caller may be gone already
