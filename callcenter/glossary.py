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
        "unit": "承办单位",
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
        "abandoned": "排队中挂机",
        "greeting": "提示音或菜单中挂机",
    },
    # a callback task's state (outbound/state.py)
    "callback_state": {
        "waiting": "待回拨",
        "dialing": "回拨中",
        "reached": "已回拨",
        "given_up": "未接通",
        "closed": "已关闭",
    },
    # how one callback attempt ended
    "callback_outcome": {
        "reached": "已接通",
        "no_answer": "无人接听",
        "busy": "占线",
        "failed": "呼叫失败",
        "cancelled": "已取消",
    },
    # why a callback task was closed without calling
    "callback_closed": {
        "answered": "已再次来电并接通",
        "duplicate": "同一号码已有回拨任务",
        "cancelled": "已取消",
        "worked": "话务员已处理",
        "expired": "漏接已久，升级时不再回拨",
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
    # a ticket's step in the closed loop (ticketflow/state.py)
    "ticket_step": {
        "accepted": "已受理",
        "dispatched": "待签收",
        "returned": "退单待审",
        "handling": "办理中",
        "replied": "待审核",
        "closed": "已办结",
        "merged": "已并单",
    },
    # what was done to a ticket in the loop (its timeline)
    "ticket_action": {
        "accept_call": "受理",
        "close": "直接办结",
        "dispatch": "派单",
        "redispatch": "改派",
        "uphold": "维持派单",
        "sign": "签收",
        "return": "退单",
        "reply": "答复",
        "review": "审核",
        "accept": "审核通过",
        "redo": "退回重办",
        "extend": "延期",
        "extension_asked": "申请延期",
        "extension_approved": "同意延期",
        "extension_refused": "不同意延期",
        "rate": "评价",
        "merge": "并单",
        "closed_with": "随主单办结",
        "remind": "催办",
        "overdue": "超期督办",
    },
    # how a request came to the centre (a ticket's channel in the loop)
    "ticket_channel": {
        "phone": "电话",
        "web": "网站",
        "sms": "短信",
        "letter": "信件",
        "email": "电子邮件",
    },
    # 红黄灯: how near a ticket's deadline is
    "ticket_light": {
        "green": "正常",
        "yellow": "临期",
        "red": "超期",
    },
    "request_type": {
        "consult": "咨询",
        "help": "求助",
        "complaint": "投诉",
        "report": "举报",
        "suggestion": "意见建议",
    },
    # what the audit trail records (callcenter/audit.py: the command's name, or the door's
    # own rows), for the admin page and `run.py audit`
    "audit_action": {
        "sign-in": "登录",
        "sign-out": "退出登录",
        "web.refused": "网页请求被拒",
        "phone.connect": "浏览器软电话连接",
        "phone.credentials": "读取软电话账号",
        "status": "查看系统状态",
        "reload": "重新加载配置",
        "agent.list": "查看话务员",
        "agent.login": "签入",
        "agent.logout": "签出",
        "agent.pause": "暂停",
        "agent.unpause": "就绪",
        "agent.watch": "打开工作台",
        "transfer.start": "发起转接",
        "transfer.complete": "完成转接",
        "transfer.cancel": "取消转接",
        "transfer.list": "查看转接",
        "transfer.destinations": "查看转接目的地",
        "ticket.get": "查看工单",
        "ticket.confirm": "确认工单",
        "ticket.list": "查看工单列表",
        "ticket.watch": "打开来电的工单",
        "ticket.history": "查看来电人历史工单",
        "ticket.earlier": "打开历史工单",
        "handoff.list": "查看工单流转",
        "ticket.new": "受理来件",
        "ticket.accept": "受理",
        "ticket.dispatch": "派单",
        "ticket.redispatch": "改派",
        "ticket.uphold": "维持派单",
        "ticket.sign": "签收",
        "ticket.return": "退单",
        "ticket.reply": "答复",
        "ticket.review": "审核",
        "ticket.extend": "申请延期",
        "ticket.extension": "审批延期",
        "ticket.close": "直接办结",
        "ticket.rate": "评价",
        "ticket.merge": "并单",
        "ticket.scan": "超期扫描",
        "ticket.flow": "查看工单办理状态",
        "ticket.flows": "查看办理中的工单",
        "ticket.timeline": "查看工单时间线",
        "ticket.content": "查看工单内容",
        "ticket.similar": "查看可并单的工单",
        "units.list": "查看承办单位",
        "workdays.add": "推算工作日",
        "workdays.calendar": "查看节假日数据",
        "loop.watch": "打开工单实时更新",
        "callback.list": "查看待回拨",
        "callback.done": "完成回拨",
        "callback.tasks": "查看回拨任务",
        "callback.cancel": "取消回拨任务",
        "callback.dial": "自动回拨取号",
        "user.add": "新增用户",
        "user.list": "查看用户",
        "user.revoke": "停用用户",
        "user.reset": "重置密码",
        "user.requests": "查看待批准申请",
        "user.approve": "批准申请",
        "user.refuse": "拒绝申请",
        "audit.list": "查看审计记录",
        "knowledge.search": "搜索知识库",
        "knowledge.get": "查看知识库文章",
        "knowledge.suggest": "知识库推荐",
        "knowledge.used": "据此答复",
        "supervise.pause": "班长强制暂停",
        "supervise.unpause": "班长恢复就绪",
        "supervise.logout": "班长强制签出",
        "supervise.skills": "班长调整技能",
        "supervise.waiting": "查看排队来电",
        "supervise.move_caller": "班长调队",
        "monitor.start": "开始监听",
        "monitor.mode": "切换监听模式",
        "monitor.stop": "结束监听",
        "monitor.list": "查看监听",
        "monitor.session": "监听记录",
        "wallboard.get": "查看监控大屏",
    },
    # the door a person came through (the audit trail's "via")
    "via": {
        "http": "接口",
        "web": "网页",
        "control": "服务器命令行",
        "cli": "服务器命令行",
    },
    "audit_result": {
        "ok": "成功",
        "refused": "被拒绝",
    },
    # the emergency lines a call that is not for 12345 goes to now (the pre-fill's referral)
    "emergency": {
        "110": "报警",
        "119": "火警",
        "120": "急救",
        "122": "交通事故",
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
