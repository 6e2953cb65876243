"""Every sentence the web chat's own routes say to a user (limits, identity, binding).

Short and plain, for an elder or a family member reading on a phone; the English
in brackets is for developers reading the response.
"""

from __future__ import annotations

TOO_MANY = "您发得太快了，请歇一会儿，过一分钟再试。"
BODY_TOO_LARGE = "内容太大了，发不过去。录音请短一点，少于一分钟。(body too large)"
BAD_API_KEY = "连接器密钥不对。(invalid connector API key)"
OUT_OF_RANGE = "输入的数字太大了，请检查一下。(value out of range)"
NO_SESSION = "请刷新页面再试。(no chat session)"

BOUND = "绑定好了。以后订餐、查询都按{name}老人的档案办。"
BAD_CODE = "这个绑定码不对，或者已经换了。请核对后再输一次，或问驿站工作人员。"
CODE_SENT = (
    "如果这个号码在驿站登记过，验证码已经发到老人的手机上，{minutes}分钟内有效。"
)
BAD_PHONE = "手机号码好像不对，请再看一下。"
VERIFY_FAILED = "验证码不对，或者已经过期。请重新获取验证码。"
VERIFY_SMS = "【{station}】您的验证码是{code}，{minutes}分钟内有效。如果不是您或家人在网上办理，请不要告诉别人。"

WAV_BROKEN = "录音坏了，请再录一次或打字。"
WAV_TOO_LONG = "录音太长了，请在{seconds}秒内说完，或者直接打字。"
