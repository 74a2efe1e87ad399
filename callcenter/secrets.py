"""Secrets live in the git-ignored ``var/secrets.yaml`` (made on first use) or the environment.

Kept there: the AMI secret and the SIP password of every generated endpoint (sub-center
seats, agents' softphones). Missing ones are generated and written back (0600). People sign in
with their own passwords and API tokens (``run.py user add``), kept hashed in the store; an
``api_token`` an older version wrote here is no longer read (and is removed).
"""

from __future__ import annotations

import io
import os
import secrets as _random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from callcenter.private import close_up, write_private

ENV_AMI_SECRET = "CALLCENTER_AMI_SECRET"


@dataclass(frozen=True, slots=True)
class Secrets:
    ami_secret: str
    sip_passwords: dict[str, str] = field(default_factory=dict)


def load_secrets(path: Path, sip_users: Iterable[str] = ()) -> Secrets:
    """Read the secrets file, adding fresh random values for whatever is missing."""
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    data: dict[str, Any] = {}
    if path.exists():
        data = dict(yaml.load(path.read_text(encoding="utf-8")) or {})
    changed = False
    if not data.get("ami_secret"):
        data["ami_secret"] = _random.token_urlsafe(24)
        changed = True
    if "api_token" in data:  # the shared token of older versions: every user has their own
        del data["api_token"]
        changed = True
    passwords = {str(k): str(v) for k, v in dict(data.get("sip_passwords") or {}).items()}
    for user in sorted(set(sip_users)):
        if user not in passwords:
            passwords[user] = _random.token_urlsafe(16)
            changed = True
    data["sip_passwords"] = passwords
    if changed:
        text = io.StringIO()
        text.write("# generated; never commit this file\n")
        yaml.dump(data, text)
        write_private(path, text.getvalue())
    elif path.exists():
        close_up(path)
    return Secrets(ami_secret=os.environ.get(ENV_AMI_SECRET) or str(data["ami_secret"]),
                   sip_passwords=passwords)
