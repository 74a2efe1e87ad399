"""The schema of the YAML files in ``config/``. Unknown keys are errors everywhere."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _loopback_or_ip(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address") from None
    return value


IpAddress = Annotated[str, AfterValidator(_loopback_or_ip)]
Port = Annotated[int, Field(ge=1, le=65535)]
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _prompt_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"{value!r}: prompt names use a-z, 0-9, '-' and '_'")
    return value


PromptName = Annotated[str, AfterValidator(_prompt_name)]


class AsteriskSettings(Strict):
    bind_address: IpAddress = "127.0.0.1"
    ami_port: Port = 5038
    sip_port: Port = 5060
    http_port: Port = 8088
    rtp_port_start: Port = 10000
    rtp_port_end: Port = 10999
    carrier_address: IpAddress = Field(
        "127.0.0.1", description="source address whose unauthenticated INVITEs are public calls"
    )
    boot_timeout_s: float = Field(30.0, gt=0)

    @model_validator(mode="after")
    def _rtp_range(self) -> AsteriskSettings:
        if self.rtp_port_end <= self.rtp_port_start:
            raise ValueError("rtp_port_end must be above rtp_port_start")
        return self


class AmiSettingsModel(Strict):
    host: IpAddress = "127.0.0.1"
    username: str = Field("callcenter", pattern=r"^[A-Za-z0-9_-]+$")
    connect_timeout_s: float = Field(5.0, gt=0)
    action_timeout_s: float = Field(10.0, gt=0)
    ping_interval_s: float = Field(10.0, gt=0)
    ping_timeout_s: float = Field(5.0, gt=0)
    reconnect_max_s: float = Field(10.0, gt=0)


class AgiSettings(Strict):
    host: IpAddress = "127.0.0.1"
    port: Port = 4573
    request_timeout_s: float = Field(5.0, gt=0)


class PathSettings(Strict):
    call_log: str = "var/log/calls.jsonl"
    database: str = "var/callcenter.sqlite3"


class PrivacySettings(Strict):
    log_full_numbers: bool = Field(
        False, description="write callers' numbers unmasked into the call log (not advised)"
    )


class EntrySettings(Strict):
    greeting: PromptName = "welcome"
    hold_seconds: int = Field(
        20, ge=0, le=3600,
        description="backbone stage: how long a caller is held after the greeting",
    )


class LabSettings(Strict):
    test_extensions: bool = Field(
        False, description="diagnostic numbers 9901-9903 on the carrier trunk (tests only)"
    )


class EngineConfig(Strict):
    asterisk: AsteriskSettings = AsteriskSettings()
    ami: AmiSettingsModel = AmiSettingsModel()
    agi: AgiSettings = AgiSettings()
    paths: PathSettings = PathSettings()
    privacy: PrivacySettings = PrivacySettings()
    entry: EntrySettings = EntrySettings()
    lab: LabSettings = LabSettings()


class Prompt(Strict):
    text: str = Field(min_length=1, description="what the prompt says (Chinese)")
    pinyin: str | None = Field(
        None, description="tone-numbered pinyin for the synthesizer, when the guess is wrong"
    )
    file: str | None = Field(
        None, description="a recorded file under ivr_prompts/ that replaces the synthesis"
    )


class PromptsConfig(Strict):
    directory: str = Field(
        "../ivr_prompts", description="where recorded and built prompt files live, "
        "relative to this YAML file"
    )
    prompts: dict[PromptName, Prompt]
