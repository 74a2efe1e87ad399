"""The one Chinese word for each state and term that people read: the agent desktop, the
wallboard and console, the admin page (as ``/assets/glossary.js``: one global ``GLOSSARY``)
and the command line's tables all take their words from here, so a state is called the same
everywhere.

Keys are the engine's own names (English, as in code and the API's JSON); values are what
people read. The terms follow the province's plan (整体并入 / 双号并行 / 设分中心, 专家座席).
"""

from __future__ import annotations

import json
from typing import Final

GLOSSARY: Final[dict[str, dict[str, str]]] = {
    # an agent's state (agents/state.py), on the desktop, the wallboard and `agent list`
    "agent_state": {
        "logged_out": "未签入",
        "available": "就绪",
        "ringing": "振铃",
        "on_call": "通话中",
        "wrapup": "话后处理",
        "paused": "暂停",
        "phone_offline": "软电话离线",
    },
    # whether an agent's phone is registered (agent rows' "phone")
    "phone": {
        "online": "软电话在线",
        "offline": "软电话离线",
    },
    # what a person does about their own state (buttons, audit rows)
    "agent_action": {
        "login": "签入",
        "logout": "签出",
        "unpause": "就绪",
        "pause": "暂停",
        "sign_in": "登录",
        "sign_out": "退出登录",
    },
    "role": {
        "agent": "话务员",
        "supervisor": "班长",
        "admin": "管理员",
        "root": "系统管理员（服务器）",
        "none": "未登录用户",
    },
    # how an agent answers (agent.login's device)
    "device": {
        "webrtc": "浏览器软电话",
        "sip": "桌面话机",
    },
    "transfer_mode": {
        "conference": "三方通话",
        "attended": "咨询转接",
        "blind": "直接转接",
    },
    "monitor_mode": {
        "listen": "监听",
        "whisper": "耳语",
        "barge": "强插",
    },
    # how a merged hotline reaches 12345 (hotlines.yaml's sections; the plan's annex)
    "section": {
        "main": "12345 主号",
        "merged": "整体并入",
        "dual": "双号并行",
        "subcenter": "设分中心",
        "unknown": "未知号码",
    },
    # how a transfer goes (the desktop's transfer panel)
    "transfer_phase": {
        "started": "呼叫中",
        "ringing": "振铃中",
        "answered": "已接通",
        "completed": "已完成",
        "failed": "失败",
        "cancelled": "已取消",
    },
    # why a caller was offered a callback (the dialplan's QUEUESTATUS)
    "callback_reason": {
        "joinempty": "无话务员签入",
        "joinunavail": "话务员均不可接听",
        "leaveempty": "等待时话务员全部签出",
        "leaveunavail": "等待时话务员均不可接听",
        "timeout": "等待超时",
        "full": "队列已满",
    },
    # a ticket's fields, as the form and an earlier ticket's card name them
    "ticket_field": {
        "phones": "来电人电话",
        "city": "市州",
        "county": "县区",
        "detail": "详细地址",
        "request_type": "诉求类型",
        "topic": "主题",
        "unit": "承办单位",
        "urgent": "紧急",
        "emergency_referral": "转 110/119/120",
        "out_of_scope": "非受理范围",
        "summary": "诉求摘要",
    },
    "request_type": {
        "consult": "咨询",
        "help": "求助",
        "complaint": "投诉",
        "report": "举报",
        "suggestion": "意见建议",
    },
    "term": {
        "agent": "话务员",
        "seat": "座席",
        "expert_seat": "专家座席",
        "queue": "队列",
        "hotline": "热线",
        "ticket": "工单",
        "unit": "承办单位",
        "subcenter": "分中心",
        "callback": "待回拨",
        "caller": "来电人",
    },
}


def word(group: str, key: str) -> str:
    """The word for ``key`` in ``group``; an unknown key is shown as it is (never an error:
    a new state must not break a page or a table)."""
    return GLOSSARY.get(group, {}).get(key, key)


def as_script() -> str:
    """The glossary as a script the pages load before their own (a strict CSP allows no
    inline script, so it is served as a file)."""
    return ("\"use strict\";\n// Generated from callcenter/glossary.py: the one word per "
            "state and term.\nconst GLOSSARY = Object.freeze("
            + json.dumps(GLOSSARY, ensure_ascii=False, indent=1) + ");\n")
