"""The report for people: CSV files for the province, one HTML page with plots (embedded,
no network) for a manager. Chinese labels."""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from callcenter.reports.figures import (
    MODE_NAMES,
    TARGET_RATE,
    Report,
    ReportBuilder,
    Tally,
    pct,
    sec,
)
from callcenter.reports.sections import Section

TRANSFER_OUTCOMES = {"completed": "完成", "failed": "失败", "cancelled": "取消"}
MODES_ZH = {"conference": "三方通话", "attended": "咨询转接", "blind": "直接转接"}


def tables(report: Report, builder: ReportBuilder) -> dict[str, list[dict[str, Any]]]:
    def rows(label: str, groups: Iterable[tuple[Any, Tally]],
             name: Any = None) -> list[dict[str, Any]]:
        out = []
        for key, tally in groups:
            row: dict[str, Any] = {label: key}
            if name is not None:
                row["名称"] = name(key)
            out.append({**row, **tally.row()})
        return out

    period = (f"{min(report.days)} 至 {max(report.days)}" if report.days else "—")
    return {
        "summary": [{"统计时段": period, **report.total.row(),
                     "进入队列": report.total.queued, "未进入队列": report.total.unqueued,
                     "其中登记回拨": report.total.callback_unqueued,
                     "进入队列的接通率%": pct(report.total.queued_connection_rate),
                     "接通率目标%": f"{TARGET_RATE * 100:.0f}",
                     "工单数": "" if report.tickets is None else report.tickets,
                     "漏接": report.callbacks.missed, "已回拨": report.callbacks.called,
                     "回拨接通": report.callbacks.reached,
                     "回拨用时中位数s": sec(report.callbacks.median_s),
                     "达标": "是" if (report.total.connection_rate or 0) >= TARGET_RATE
                     else "否"}],
        "by_hotline": rows("号码", sorted(report.by_hotline.items(),
                                        key=lambda kv: -kv[1].offered), builder.hotline_name),
        "by_mode": rows("类别", sorted(report.by_mode.items(), key=lambda kv: -kv[1].offered),
                        lambda m: MODE_NAMES.get(m, m)),
        "by_queue": [{**row, "溢出": report.by_queue[row["队列"]].overflowed}
                     for row in rows("队列", sorted(report.by_queue.items()))],
        "by_hour": rows("小时", sorted(report.by_hour.items())),
        "by_agent": [{"话务员": agent, "接听量": t.answered, "平均通话s": sec(t.talk_s),
                      "平均处理s": sec(t.aht_s), "平均应答s": sec(t.asa_s)}
                     for agent, t in sorted(report.by_agent.items())],
        "handoffs": [{"分中心/专家座席": dest, "工单流转": count}
                     for dest, count in sorted(report.handoffs.items())],
        "transfers": [{"转接目的地": dest, "方式": MODES_ZH.get(mode, mode),
                       "结果": TRANSFER_OUTCOMES.get(outcome, outcome), "次数": count}
                      for (dest, mode, outcome), count in sorted(report.transfers.items())],
    }


TITLES = {"summary": "总体指标", "by_hotline": "按号码",
          "by_mode": "按类别（主号/并入/双号/分中心）", "by_queue": "按队列", "by_hour": "按小时",
          "by_agent": "按话务员", "transfers": "转接及结果", "handoffs": "工单流转"}


def write_csv(report: Report, builder: ReportBuilder, directory: Path,
              sections: Sequence[Section] = ()) -> list[Path]:
    """One file per table, and one per section (``loop_by_unit.csv`` …)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in [*tables(report, builder).items(),
                       *((s.name, s.as_dicts()) for s in sections)]:
        path = directory / f"{name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as file:  # BOM: Excel
            if rows:
                writer = csv.DictWriter(file, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        written.append(path)
    return written


def _figure_png(report: Report) -> list[tuple[str, str]]:
    import logging

    import matplotlib

    matplotlib.use("Agg")
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    zh = [f.name for f in font_manager.fontManager.ttflist
          if any(k in f.name for k in ("WenQuanYi", "Noto Sans CJK", "Noto Serif CJK"))]
    plt.rcParams["font.sans-serif"] = [*zh, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    out: list[tuple[str, str]] = []

    def emit(title: str, fig: Any) -> None:
        buffer = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buffer, format="png", dpi=90)
        plt.close(fig)
        out.append((title, base64.b64encode(buffer.getvalue()).decode()))

    hours = list(range(24))
    h = report.by_hour
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.bar(hours, [h[x].offered if x in h else 0 for x in hours], label="呼入量", color="#9bb7d4")
    ax.bar(hours, [h[x].answered if x in h else 0 for x in hours], label="人工接通",
           color="#2f6eb5", width=0.5)
    ax.plot(hours, [h[x].abandoned if x in h else 0 for x in hours], "o-", color="#d9534f",
            label="放弃")
    ax.set_xticks(hours)
    ax.set_xlabel("小时")
    ax.set_ylabel("电话数")
    ax.legend()
    emit("按小时的呼入、接通与放弃", fig)

    fig, ax = plt.subplots(figsize=(10, 3.2))
    rate = [(h[x].connection_rate or 0) * 100 if x in h and h[x].offered else None
            for x in hours]
    level = [(h[x].service_level or 0) * 100 if x in h and h[x].answered else None
             for x in hours]
    ax.plot(hours, [r if r is not None else float("nan") for r in rate], "o-", label="接通率")
    ax.plot(hours, [r if r is not None else float("nan") for r in level], "s--",
            label="15秒接通率")
    ax.axhline(TARGET_RATE * 100, color="#d9534f", linestyle=":", label="目标 95%")
    ax.set_ylim(0, 105)
    ax.set_xticks(hours)
    ax.set_xlabel("小时")
    ax.set_ylabel("%")
    ax.legend(loc="lower right")
    emit("按小时的接通率（GB/T 33358-2016）", fig)

    top = sorted(report.by_hotline.items(), key=lambda kv: -kv[1].offered)[:15]
    if top:
        fig, ax = plt.subplots(figsize=(10, 4))
        ax.barh([k for k, _ in reversed(top)], [t.offered for _, t in reversed(top)],
                color="#2f6eb5")
        ax.set_xlabel("呼入量")
        emit("呼入量最多的15个号码", fig)

    modes = sorted(report.by_mode.items(), key=lambda kv: -kv[1].offered)
    if modes:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.bar([MODE_NAMES.get(k, k) for k, _ in modes], [t.offered for _, t in modes],
               color="#5cb85c")
        ax.set_ylabel("呼入量")
        emit("按类别的呼入量", fig)
    return out


def write_html(report: Report, builder: ReportBuilder, path: Path,
               sections: Sequence[Section] = ()) -> None:
    data = tables(report, builder)
    total = report.total
    rate = total.connection_rate
    ok = rate is not None and rate >= TARGET_RATE
    parts = ["<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>",
             "<title>12345热线服务报表</title><style>",
             "body{font-family:'WenQuanYi Zen Hei','Noto Sans CJK SC',sans-serif;margin:24px;"
             "color:#222}table{border-collapse:collapse;margin:8px 0 24px}"
             "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
             "th{background:#eef3f8}td:first-child,th:first-child{text-align:left}"
             ".kpi{display:inline-block;margin:0 24px 16px 0;padding:12px 16px;"
             "background:#f5f7fa;border-radius:6px}.kpi b{display:block;font-size:28px}"
             ".ok{color:#2e7d32}.bad{color:#c62828}img{max-width:100%}"
             ".note{color:#555;font-size:90%}</style></head><body>",
             "<h1>12345政务服务便民热线 服务报表</h1>",
             f"<p>统计时段：{html.escape(str(data['summary'][0]['统计时段']))}"
             f"（按 GB/T 33358-2016 口径；接通率不计5秒内放弃）</p>"]
    kpis = [("呼入量", f"{total.offered}"), ("人工接通", f"{total.answered}"),
            ("接通率", "—" if rate is None else f"{rate * 100:.1f}%"),
            ("15秒接通率", "—" if total.service_level is None
             else f"{total.service_level * 100:.1f}%"),
            ("平均应答", "—" if total.asa_s is None else f"{total.asa_s:.1f} 秒"),
            ("平均处理", "—" if total.aht_s is None else f"{total.aht_s:.0f} 秒"),
            ("放弃（5秒内）", f"{total.abandoned}（{total.abandoned_5s}）"),
            ("回呼登记", f"{total.callbacks}")]
    if report.tickets is not None:
        kpis.append(("工单", f"{report.tickets}"))
    for label, value in kpis:
        css = (" class='ok'" if ok else " class='bad'") if label == "接通率" else ""
        parts.append(f"<div class='kpi'>{html.escape(label)}<b{css}>{html.escape(value)}</b>"
                     "</div>")
    parts.append(f"<p>接通率目标 ≥ 95%：<b class='{'ok' if ok else 'bad'}'>"
                 f"{'达标' if ok else '未达标'}</b></p>")
    queued = total.queued_connection_rate
    parts.append(  # what the day's rate counts: every call, also those never queued
        f"<p>接通率按全部 {total.offered} 通来电计算；其中 {total.queued} 通进入队列"
        f"（接通率 {'—' if queued is None else f'{queued * 100:.1f}%'}，各队列的接通率即按此"
        f"计算），{total.unqueued} 通未进入队列（登记回拨 {total.callback_unqueued} 通，"
        f"分中心接听 {total.answered - total.queue_answered} 通，其余在进入队列前挂断）。</p>")
    callbacks = report.callbacks
    if callbacks.missed:
        median = callbacks.median_s
        parts.append(
            f"<p>漏接回拨：漏接 {callbacks.missed} 通，已回拨 {callbacks.called} 通，回拨接通 "
            f"{callbacks.reached} 通，回拨用时中位数 "
            f"{'—' if median is None else f'{median / 60:.1f} 分钟'}。</p>")
    for title, png in _figure_png(report):
        parts.append(f"<h2>{html.escape(title)}</h2><img alt='{html.escape(title)}' "
                     f"src='data:image/png;base64,{png}'>")
    for name, rows in data.items():
        if name == "summary":
            continue
        parts.append(f"<h2>{html.escape(TITLES[name])}</h2>")
        if not rows:
            parts.append("<p>无</p>")
            continue
        parts.append("<table><tr>" + "".join(f"<th>{html.escape(str(c))}</th>"
                                             for c in rows[0]) + "</tr>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>"
                                          for v in row.values()) + "</tr>")
        parts.append("</table>")
    for section in sections:
        parts += _section_html(section)
    parts.append("</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")


def _section_html(section: Section) -> list[str]:
    """A capability's section: its title, its table, its footnote."""
    parts = [f"<h2>{html.escape(section.title)}</h2>", "<table><tr>"
             + "".join(f"<th>{html.escape(c)}</th>" for c in section.columns) + "</tr>"]
    parts += ["<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
              for row in section.rows]
    parts.append("</table>")
    if section.footnote:
        parts.append("<ul class='note'>" + "".join(f"<li>{html.escape(line)}</li>"
                                                   for line in section.footnote) + "</ul>")
    return parts
