"""Render the Asterisk configuration from config/ through the templates.

Same YAML in, same files out: templates iterate over sorted data, and nothing time- or
host-dependent is written, so a diff of the generated files is a review of the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jinja2

from callcenter.config.loader import Config, agent_endpoint
from callcenter.errors import AsteriskControlError
from callcenter.paths import Paths
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
)


@dataclass(frozen=True, slots=True)
class RenderedFile:
    name: str
    text: str


def _environment(paths: Paths) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(paths.templates), str(paths.dialplan_templates)]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


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
    out = []
    for name, description, contact in wanted:
        password = secrets.sip_passwords.get(name)
        if password is None:
            raise AsteriskControlError(f"no SIP password for {name} in the secrets file")
        out.append(SeatEndpoint(name, description, password, contact))
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


def render(config: Config, secrets: Secrets, paths: Paths,
           today: date | None = None) -> list[RenderedFile]:
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
        "queues": sorted(config.queues.queues.items()),
    }
    out: list[RenderedFile] = []
    for template_name in sorted(env.list_templates(extensions=["j2"])):
        name = template_name.removesuffix(".j2").removeprefix("stub.")
        out.append(RenderedFile(name, env.get_template(template_name).render(context)))
    return out


def write(files: list[RenderedFile], directory: Path) -> list[str]:
    """Write the files that changed; remove stale generated ones. Returns changed names."""
    directory.mkdir(parents=True, exist_ok=True)
    changed: list[str] = []
    wanted = {f.name for f in files}
    for f in files:
        target = directory / f.name
        if not target.exists() or target.read_text(encoding="utf-8") != f.text:
            tmp = target.with_suffix(target.suffix + ".tmp")
            tmp.write_text(f.text, encoding="utf-8")
            tmp.chmod(0o600)
            tmp.replace(target)
            changed.append(f.name)
    for stale in directory.glob("*.conf"):
        if stale.name not in wanted:
            stale.unlink()
            changed.append(stale.name)
    return changed
