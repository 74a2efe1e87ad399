"""What a ticket's card shows on the loop's pages: what the citizen asked (their own words and
the summary), its topic, request type and place, the hotline and the channel it came by —
with every phone number masked, the caller's own first (a unit's user, or the centre's back
office, never reads a citizen's number: whoever calls back does it from the agent desktop)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from callcenter.calllog.privacy import mask_number
from callcenter.config.models import Speaker
from callcenter.prefill.masking import mask_phones

WORDS_AT_MOST = 4000  # characters of the citizen's own words on the card
# a phone number written in text: a mobile (with +86 or not), or a landline with its area code
PHONE = re.compile(r"(?<![0-9])(?:(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}"
                   r"|0[0-9]{2,3}[- ]?[0-9]{7,8})(?![0-9])")


FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")  # typed with a Chinese IME


def masked(text: str, caller: str = "") -> str:
    """``text`` with the caller's number and every phone number in it masked: written ones
    (full-width digits too), then any run of 7 or more digits, spoken ones included (幺三八…),
    as the call log masks them (:func:`mask_phones`: local numbers, 400/800 numbers)."""
    text = text.translate(FULL_WIDTH)
    if len(caller) > 6:
        text = text.replace(caller, mask_number(caller))
    return mask_phones(PHONE.sub(lambda m: mask_number(m.group(0)), text))


def card(ticket: Mapping[str, Any], fields: Mapping[str, Any], channel: str) -> dict[str, Any]:
    """The card of ``ticket`` (as the tickets' store reads it, its ``fields`` confirmed or
    pre-filled) that came by ``channel``."""
    caller = str(ticket.get("caller") or "")
    words = "".join(str(u.get("text") or "") for u in ticket.get("transcript", ())
                    if u.get("speaker") == Speaker.CALLER)
    place = fields.get("place") if isinstance(fields.get("place"), dict) else {}
    detail = str(fields.get("detail") or (place or {}).get("detail") or "")
    return {
        "channel": channel, "hotline": str(ticket.get("hotline") or ""),
        "hotline_name": str(ticket.get("hotline_name") or ""),
        "caller": mask_number(caller) if caller else "",
        "opened_at": ticket.get("opened_at") or "",
        "words": masked(words[:WORDS_AT_MOST], caller),
        "summary": masked(str(fields.get("summary") or ""), caller),
        "request_type": str(fields.get("request_type") or ""),
        "topic": str(fields.get("topic") or ""),
        "city": str(fields.get("city") or ""), "county": str(fields.get("county") or ""),
        "detail": masked(detail, caller), "urgent": bool(fields.get("urgent")),
    }
