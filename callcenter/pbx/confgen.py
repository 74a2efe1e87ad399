"""Render the Asterisk configuration from config/ through the templates.

Same YAML in, same files out: templates iterate over sorted data, and nothing time- or
host-dependent is written, so a diff of the generated files is a review of the change — but
for the machine's own addresses in rtp.conf (the browser softphones' ICE candidates,
:mod:`callcenter.pbx.ice`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jinja2

from callcenter.config.loader import (
    SOCKETS_PER_ENDPOINT,
    Config,
    agent_endpoint,
    agent_web_endpoint,
    supervisor_endpoint,
    supervisor_web_endpoint,
)
from callcenter.errors import AsteriskProcessError
from callcenter.paths import Paths
from callcenter.pbx import escape, ice, owner
from callcenter.routing.decide import Mode, Router, route_spec
from callcenter.secrets import Secrets

# Paths as Asterisk sees them inside the chroot.
ETC_DIR = "/etc/callcenter"
PROMPT_DIR = "/var/lib/callcenter/prompts"
MOH_DIR = "/var/lib/callcenter/moh"
SOUNDS_DIR = "/usr/share/asterisk/sounds"  # Asterisk looks in <SOUNDS_DIR>/<language>/
# Asterisk's own state: one set per instance (Paths.in_chroot); prompts and sounds are shared
STATE_DIRS = ("/var/cache/asterisk", "/var/lib/asterisk", "/var/spool/asterisk",
              "/var/run/asterisk", "/var/log/asterisk")

MODULES = (
    # SIP
    "res_pjproject.so", "res_pjsip.so", "res_pjsip_session.so",
    "res_pjsip_authenticator_digest.so", "res_pjsip_endpoint_identifier_user.so",
    "res_pjsip_endpoint_identifier_ip.so", "res_pjsip_registrar.so", "res_pjsip_sdp_rtp.so",
    "res_pjsip_caller_id.so", "res_pjsip_dtmf_info.so", "res_pjsip_rfc3326.so",
    "res_pjsip_nat.so", "res_pjsip_pubsub.so", "res_pjsip_refer.so", "res_pjsip_diversion.so",
    "res_pjsip_logger.so", "chan_pjsip.so", "func_pjsip_endpoint.so",
    # media
    "res_rtp_asterisk.so", "res_rtp_multicast.so", "res_timing_timerfd.so",
    "codec_ulaw.so", "codec_alaw.so", "codec_gsm.so", "codec_a_mu.so", "codec_resample.so",
    "format_wav.so", "format_gsm.so", "format_pcm.so", "format_sln.so", "format_wav_gsm.so",
    "res_musiconhold.so",
    # bridging, queues, conferences, transfers
    "bridge_simple.so", "bridge_native_rtp.so", "bridge_softmix.so", "bridge_holding.so",
    "bridge_builtin_features.so", "app_queue.so", "app_confbridge.so", "app_dial.so",
    "app_chanspy.so", "app_audiosocket.so", "chan_audiosocket.so", "res_audiosocket.so",
    # dialplan
    "pbx_config.so", "app_playback.so", "app_echo.so", "app_verbose.so", "app_stack.so",
    "app_read.so", "app_userevent.so", "app_exec.so", "app_playtones.so", "app_senddtmf.so",
    "app_milliwatt.so", "func_strings.so", "func_logic.so", "func_callerid.so",
    "func_channel.so", "func_global.so", "func_timeout.so", "func_cut.so", "func_uuid.so",
    "func_hangupcause.so", "func_math.so", "func_devstate.so",
    # engine interfaces
    "res_agi.so", "res_speech.so", "res_manager_devicestate.so",
    # the agents' browser softphones: SIP over WebSocket, DTLS-SRTP media (res_srtp: without
    # it REGISTER works and every call fails), opus
    "res_crypto.so", "res_srtp.so", "res_http_websocket.so",
    "res_pjsip_transport_websocket.so", "res_format_attr_opus.so", "codec_opus_open_source.so",
)


@dataclass(frozen=True, slots=True)
class RenderedFile:
    name: str
    text: str


def _environment(paths: Paths) -> jinja2.Environment:
    """Templates print values through the filters of callcenter.pbx.escape (escaped for, or
    refused by, Asterisk's config syntax); whatever they print stays on one line."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(paths.templates), str(paths.dialplan_templates)]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        finalize=escape.one_line,
    )
    env.filters.update(escape.FILTERS)
    return env


def prompt_path(name: str) -> str:
    """Where Asterisk finds a prompt (no extension: it picks the format)."""
    return f"{PROMPT_DIR}/{name}"


@dataclass(frozen=True, slots=True)
class SeatEndpoint:
    """A softphone that registers with a password: an agent's, or a sub-center seat's."""

    name: str
    description: str
    password: str
    contact: str | None = None


def _seat_endpoints(config: Config, secrets: Secrets) -> list[SeatEndpoint]:
    wanted: list[tuple[str, str, str | None]] = []
    for hotline in config.hotlines.hotlines:
        d = hotline.destination
        if d is not None and d.endpoint is not None:
            wanted.append((d.endpoint, f"Sub-center seats of {hotline.name} ({hotline.number})",
                           d.contact))
    for agent_id, agent in config.agents.agents.items():
        wanted.append((agent_endpoint(agent_id), f"Agent {agent_id} {agent.name}", None))
    for user, supervisor in config.agents.supervisors.items():
        wanted.append((supervisor_endpoint(user), f"Supervisor {user} {supervisor.name}", None))
    out = []
    for name, description, contact in wanted:
        password = secrets.sip_passwords.get(name)
        if password is None:
            raise AsteriskProcessError(f"no SIP password for {name} in the secrets file")
        out.append(SeatEndpoint(name, description, password, contact))
    return sorted(out, key=lambda e: e.name)


def _browser_endpoints(config: Config, secrets: Secrets) -> list[SeatEndpoint]:
    """The agents' and supervisors' browser softphones (WebRTC), reached through the
    engine's /sip."""
    wanted = [(agent_web_endpoint(agent_id), f"Browser softphone of agent {agent_id} "
               f"{agent.name}") for agent_id, agent in config.agents.agents.items()]
    wanted += [(supervisor_web_endpoint(user), f"Browser softphone of supervisor {user} "
                f"{supervisor.name}") for user, supervisor in config.agents.supervisors.items()]
    out = []
    for name, description in wanted:
        password = secrets.sip_passwords.get(name)
        if password is None:
            raise AsteriskProcessError(f"no SIP password for {name} in the secrets file")
        out.append(SeatEndpoint(name, description, password))
    return sorted(out, key=lambda e: e.name)


def static_routes(config: Config, today: date) -> list[tuple[str, str, str]]:
    """(extension, cc-set-route arguments, comment) for every dial form, plus catch-alls."""
    router = Router.of(config.hotlines, config.queues)
    rows = []
    for exten in sorted(router.catalogue.by_dialed):
        route = router.static_route(exten, today)
        rows.append((exten, route_spec(route, prompt_path),
                     f"{route.mode.value} {route.number} → {route.target}"))
    for pattern in ("_X", "_X."):
        route = router.static_route("", today)
        rows.append((pattern, route_spec(route, prompt_path), "any other number → "
                     + route.target))
    return rows


def not_prefixed(prefix: str) -> str:
    """A POSIX extended regular expression matching every text that does not begin with
    ``prefix`` (letters, digits, ``/``, ``-``, ``.`` only): ERE has no negative lookahead."""
    if not re.fullmatch(r"[A-Za-z0-9/.-]+", prefix):
        raise ValueError(f"not a plain prefix: {prefix!r}")
    def literal(text: str) -> str:
        return text.replace(".", "[.]")

    wrong = [f"{literal(prefix[:i])}[^{c}]" for i, c in enumerate(prefix)]
    return f"^({'|'.join(wrong)}|.{{0,{len(prefix) - 1}}}$)"


def outbound_contact(host: str, port: int) -> str:
    """The outbound trunk's SIP URI (an IPv6 address in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"sip:{shown}:{port}"


def render(config: Config, secrets: Secrets, paths: Paths, today: date | None = None,
           host_addresses: Sequence[str] | None = None) -> list[RenderedFile]:
    """``host_addresses``: the machine's IPv4 addresses (default: read from the machine)."""
    env = _environment(paths)
    engine = config.engine
    today = today or date.today()
    router = Router.of(config.hotlines, config.queues)
    fallback = router.main_queue_route("", Mode.SUBCENTER, None)
    fallback_spec = route_spec(fallback, prompt_path).split(",")
    fallback_spec[2] = "${CC_HOTLINE}"
    context = {
        "a": engine.asterisk,
        "ami": engine.ami,
        "agi": engine.agi,
        "lab": engine.lab,
        "o": engine.outbound,
        "outbound_contact": outbound_contact(engine.outbound.trunk_host,
                                             engine.outbound.trunk_port),
        "ami_secret": secrets.ami_secret,
        "etc_dir": paths.in_chroot(ETC_DIR),
        "state_dirs": {d: paths.in_chroot(d) for d in STATE_DIRS},
        "moh_dir": MOH_DIR,
        "modules": MODULES,
        "prompt_path": prompt_path,
        "routing": engine.routing,
        "static_routes": static_routes(config, today),
        "subcenter_fallback_spec": ",".join(fallback_spec),
        "seat_endpoints": _seat_endpoints(config, secrets),
        "browser_endpoints": _browser_endpoints(config, secrets),
        # how a call on the carrier's own SIP transport ends its CHANNEL(pjsip,local_addr)
        "carrier_port_tail": f":{engine.asterisk.sip_port}",
        # Asterisk's HTTP sessions: every browser endpoint's sockets through /sip, and a few
        # more (the sockets' closing and opening overlap when a page reloads)
        "http_sessions": SOCKETS_PER_ENDPOINT * (len(config.agents.agents)
                                                 + len(config.agents.supervisors)) + 10,
        "ice_host_candidates": ice.host_candidates(
            ice.host_addresses() if host_addresses is None else host_addresses,
            engine.asterisk.bind_address),
        "queues": sorted(config.queues.queues.items()),
        # DTMF reaches the engine from supervisors' legs only (their ChanSpy mode digits)
        "not_a_supervisors_leg": not_prefixed(f"PJSIP/{supervisor_endpoint('')}"),
    }
    out: list[RenderedFile] = []
    for template_name in sorted(env.list_templates(extensions=["j2"])):
        name = template_name.removesuffix(".j2").removeprefix("stub.")
        text = env.get_template(template_name).render(context)
        escape.check_lines(name, text)
        out.append(RenderedFile(name, text))
    return out


def write(files: list[RenderedFile], directory: Path, group: int | None = None) -> list[str]:
    """Write the files that changed; remove stale generated ones. Returns changed names.

    The files hold secrets (SIP passwords, the AMI secret). Asterisk, which reads them after
    dropping root, gets them through ``group`` (its gid in the chroot): root's, 0640, in a
    0750 directory. Without a group they are root's alone (0600 in 0700)."""
    file_mode, dir_mode = ((0o600, 0o700) if group is None
                           else (owner.CONFIG_FILE_MODE, owner.CONFIG_DIR_MODE))
    gid = -1 if group is None else group
    directory.mkdir(parents=True, exist_ok=True, mode=dir_mode)
    owner.set_owner(directory, dir_mode, gid=gid)
    changed: list[str] = []
    wanted = {f.name for f in files}
    for f in files:
        target = directory / f.name
        if target.exists() and target.read_text(encoding="utf-8") == f.text:
            owner.set_owner(target, file_mode, gid=gid)
            continue
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.unlink(missing_ok=True)
        # owner-only from creation: the group and mode are set before the first byte
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w",
                       encoding="utf-8") as out:
            os.fchown(out.fileno(), -1, gid)
            os.fchmod(out.fileno(), file_mode)
            out.write(f.text)
        tmp.replace(target)
        changed.append(f.name)
    for stale in directory.glob("*.conf"):
        if stale.name not in wanted:
            stale.unlink()
            changed.append(stale.name)
    return changed
