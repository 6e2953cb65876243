"""What the hotline says (Chinese lives here, nowhere else in the connector)."""

from __future__ import annotations

from assistant.services.emergencies import EmergencyReport, emergency_reply
from assistant.settings import Settings

KEYPAD_MENU = (
    "您可以直接说话，也可以按键：按1订餐，按2紧急求助，按3政策咨询，"
    "按0转人工，按星号重听，按9说慢一点。"
)

REPROMPTS = (
    "您还在吗？不着急，请慢慢说。",
    "我在听呢。您可以说订餐、求助，或者问政策，也可以按键。",
    "如果不方便说话，可以按键：按1订餐，按2紧急求助，按0转人工。",
)

# Text sent to the dialogue engine for keypad choices, as if the caller said it.
KEYPAD_UTTERANCES = {"1": "我要订餐", "3": "我想咨询政策"}


def greeting(settings: Settings) -> str:
    """The first thing a caller hears."""
    return f"您好，这里是{settings.station_name}长者服务热线。{KEYPAD_MENU}请问有什么可以帮您？"


def offer_person(settings: Settings) -> str:
    """Said after the reprompts run out; the line stays open."""
    if settings.duty_phone:
        return "需要帮您转接工作人员吗？请按0。您也可以继续说话，我一直在。"
    return "需要工作人员给您回电话吗？请按0。您也可以继续说话，我一直在。"


def emergency(settings: Settings, report: EmergencyReport) -> str:
    """Said after an emergency was reported: the service's honest reply (已通知
    only when somebody was alerted)."""
    return emergency_reply(report, settings)


def press_0() -> str:
    return "要找工作人员请按0。"


def transferring() -> str:
    return "好的，正在为您转接工作人员，请稍等。"


def callback_promised() -> str:
    return "好的，已经记下了，工作人员会尽快给您回电话。您也可以继续和我说。"


def slower() -> str:
    return "好的，我会说慢一点。"


def system_down(settings: Settings) -> str:
    """The database or the dialogue engine failed during a call: 120 first."""
    ambulance = settings.service_directory.get("急救", "120")
    return f"对不起，系统现在出了问题。如果有生命危险，请马上挂断，拨打{ambulance}。"


def callback_failed(settings: Settings) -> str:
    """No duty phone, and the call-back could not be written down either."""
    ambulance = settings.service_directory.get("急救", "120")
    return f"现在没能记下您的电话，请稍后再打来。紧急情况请拨打{ambulance}。"


def duty_unanswered(settings: Settings, *, recorded: bool) -> str:
    """The duty phone did not answer (busy, no answer, failed)."""
    if recorded:
        return (
            "工作人员现在没有接听。已经记下了，工作人员会尽快给您回电话。"
            "您也可以继续和我说。"
        )
    return "工作人员现在没有接听。" + callback_failed(settings)


def no_speech_model() -> str:
    """Stream mode without a Chinese model: speech is answered with the keypad menu."""
    return "对不起，我现在听不清说话，请用按键。" + KEYPAD_MENU


def not_understood() -> str:
    return "对不起，我没有听清楚，请再说一遍，或者按键。"
