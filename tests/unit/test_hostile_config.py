"""Hostile configuration values cannot change what Asterisk reads from the generated files (#15).

Every free-text value the loader accepts is made hostile (comment and section syntax,
directives, dialplan expansions and separators, quotes, blanks, Chinese, emoji, the longest
length allowed); values the loader must refuse are asserted refused with file:line. The
rendered files are then read the way Asterisk reads them (tests/asterisk_conf.py) and must say
exactly what the configuration implies: the same sections, the same keys, no directive, every
configured value read back as configured, and no ``${…}``/``$[…]`` from the configuration in
the dialplan.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from callcenter.config.loader import (
    Config,
    agent_endpoint,
    agent_web_endpoint,
    collect,
    load_config,
    supervisor_endpoint,
    supervisor_web_endpoint,
)
from callcenter.config.models import SubcenterDestination
from callcenter.errors import AsteriskProcessError
from callcenter.paths import PROJECT_ROOT, Paths
from callcenter.pbx.confgen import render, static_routes
from callcenter.secrets import Secrets
from tests.asterisk_conf import ConfFile, Section, dialplan, parse

TODAY = date(2026, 11, 28)
MAX_TEXT = 100  # the longest name, title, pause reason, unit or remark the loader takes

# Each is one text value somewhere in config/ (agent names, queue titles, hotline names,
# pause reasons, units, remarks).
LABELS = [
    "王芳; [agent-1001]",
    "[evil](!)",
    "[agent-9000]",
    "type => auth",
    "password = known",
    "#include /etc/passwd",
    "#exec /bin/sh -c id",
    "${SHELL(id)}",
    "$[1+1]",
    "a,b),Set(CC_QUEUE=q12345",
    "((",
    "\\",
    "back\\;slash \\\\;",
    "\"quoted\" 'single'",
    "  leading and trailing  ",
    ";-- opens a block comment",
    "closes one --;",
    "--;",
    "x--;[evil]",
    "省应急管理厅 小休",
    "热线📞☎️",
    "&PJSIP/evil|x",
    "=",
    ";",
    ("省应急管理厅;[x]=>${A}$[1]#include \\;--" * 5)[:MAX_TEXT],
]

# Secrets do not come from config/ but from var/secrets.yaml or the environment: hostile too.
PASSWORDS = ["p;w", "p;--w", "pw--;", "--;", ";--", "\\;", "a\\", "\\", "[agent-1001]",
             "x => y", "#include /etc/passwd", '"q"', "${SHELL(id)}", "密码🔑", ";",
             "a;b;c\\;d--;", "=", "[x](!)"]
AMI_SECRET = "s;--e\\;c--;r[e]t #exec /bin/id"

CONTACT = "sip:seat-12305@192.0.2.10:5070;transport=udp;lr"
LONG_ENDPOINT = ("subcenter-12313-" + "x" * 64)[:64]
LONG_QUEUE = ("q" + "long_queue-" * 10)[:64]
LONG_DIAL = "&".join(["PJSIP/seat-12360@192.0.2.20:5060", "Local/12360@cc-seats/n",
                      "IAX2/peer/12360", "PJSIP/+8693112360@carrier"] * 2)[:200].rstrip("&")


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.allow_unicode = True
    return yaml


def _rewrite(path: Path, change: Any) -> None:
    yaml = _yaml()
    data = yaml.load(path.read_text(encoding="utf-8"))
    change(data)
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)


def _copy_config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", target)
    shutil.copytree(PROJECT_ROOT / "ivr_prompts", tmp_path / "ivr_prompts",
                    ignore=shutil.ignore_patterns("build"))
    return target


def _label(index: int, at_least: int = 1) -> str:
    label = LABELS[index % len(LABELS)]
    return label * at_least if len(label) < at_least else label


def _hostile_agents(data: Any) -> None:
    data["pause_reasons"] = list(LABELS)
    data["agents"]["1001"]["name"] = LABELS[0]
    for index, label in enumerate(LABELS):
        data["agents"][str(9000 + index)] = {"name": label, "skills": {"q12345": 1}}
    data["supervisors"]["sun.li"] = {"name": LABELS[0]}
    data["supervisors"]["x.y-z_9"] = {"name": LABELS[-1]}


def _hostile_queues(data: Any) -> None:
    queues = data["queues"]
    for index, name in enumerate(list(queues)):
        queues[name]["title"] = _label(index)
    queues[LONG_QUEUE] = {"title": LABELS[-1]}


def _hostile_hotlines(data: Any) -> None:
    data["main"]["name"] = _label(1, 2)
    for index, hotline in enumerate(data["hotlines"]):
        hotline["name"] = _label(index, 2)
        hotline["units"] = [_label(index + 1)]
        hotline["remarks"] = [*hotline.get("remarks", []), _label(index + 2)]
        if hotline["number"] == "12305":
            hotline["destination"] = {"endpoint": "subcenter-12305", "contact": CONTACT}
        elif hotline["number"] == "12360":
            hotline["destination"] = {"dial": LONG_DIAL}
        elif hotline["number"] == "12313":
            hotline["destination"] = {"endpoint": LONG_ENDPOINT}


@pytest.fixture
def hostile_dir(tmp_path: Path) -> Path:
    directory = _copy_config(tmp_path)
    _rewrite(directory / "agents.yaml", _hostile_agents)
    _rewrite(directory / "queues.yaml", _hostile_queues)
    _rewrite(directory / "hotlines.yaml", _hostile_hotlines)
    return directory


def _secrets(config: Config) -> Secrets:
    return Secrets(AMI_SECRET, {name: PASSWORDS[index % len(PASSWORDS)]
                                for index, name in enumerate(config.sip_endpoints)})


def _parsed(config: Config, secrets: Secrets) -> dict[str, ConfFile]:
    files = render(config, secrets, Paths(PROJECT_ROOT, PROJECT_ROOT / "var"), TODAY)
    return {f.name: parse(f.text) for f in files}


def _texts(config: Config, secrets: Secrets) -> dict[str, str]:
    files = render(config, secrets, Paths(PROJECT_ROOT, PROJECT_ROOT / "var"), TODAY)
    return {f.name: f.text for f in files}


def _shipped() -> tuple[Config, Secrets]:
    config = load_config(PROJECT_ROOT / "config")
    return config, Secrets("ami-secret", {n: f"pw-{n}" for n in config.sip_endpoints})


def _skeleton(section: Section) -> tuple[str, list[tuple[str, str, bool]]]:
    return section.name, [(e.key, e.value, e.arrow) for e in section.entries]


def _seat_descriptions(config: Config) -> dict[str, str]:
    out = {agent_endpoint(agent_id): f"Agent {agent_id} {agent.name}"
           for agent_id, agent in config.agents.agents.items()}
    out |= {agent_web_endpoint(agent_id): f"Browser softphone of agent {agent_id} {agent.name}"
            for agent_id, agent in config.agents.agents.items()}
    out |= {supervisor_endpoint(user): f"Supervisor {user} {s.name}"
            for user, s in config.agents.supervisors.items()}
    out |= {supervisor_web_endpoint(user): f"Browser softphone of supervisor {user} {s.name}"
            for user, s in config.agents.supervisors.items()}
    for hotline in config.hotlines.hotlines:
        d = hotline.destination
        if d is not None and d.endpoint is not None:
            out[d.endpoint] = f"Sub-center seats of {hotline.name} ({hotline.number})"
    return out


def test_hostile_values_are_accepted_and_kept_exactly(hostile_dir: Path) -> None:
    config, problems = collect(hostile_dir)
    assert config is not None, [str(p) for p in problems if not p.warning]
    assert config.agents.pause_reasons == LABELS
    assert config.agents.agents["9014"].name == "  leading and trailing  "
    assert config.queues.queues[LONG_QUEUE].title == LABELS[-1]
    assert len(LABELS[-1]) == MAX_TEXT


def test_every_file_reads_as_the_configuration_says(hostile_dir: Path) -> None:
    config = load_config(hostile_dir)
    secrets = _secrets(config)
    hostile = _parsed(config, secrets)
    shipped_config, shipped_secrets = _shipped()
    shipped = _parsed(shipped_config, shipped_secrets)
    assert sorted(hostile) == sorted(shipped)

    for name, conf in hostile.items():
        assert conf.invalid is None, (name, conf.invalid)
        assert conf.skipped == [], (name, "lines Asterisk would skip", conf.skipped)
        assert conf.warnings == [], (name, conf.warnings)
        # no template writes a directive: none may appear
        assert conf.directives == [], (name, conf.directives)
        assert all(s.options is None for s in conf.sections), (name, "templates appeared")

    # files no configured text reaches: exactly the shipped ones
    for name in set(hostile) - {"pjsip.conf", "queues.conf", "manager.conf", "extensions.conf",
                                "http.conf"}:
        assert [_skeleton(s) for s in hostile[name].sections] == \
               [_skeleton(s) for s in shipped[name].sections], name
    # http.conf: the same but for the room it makes for every browser endpoint's two sockets
    for conf, made in ((hostile["http.conf"], config), (shipped["http.conf"], shipped_config)):
        (general,) = conf.sections
        people = len(made.agents.agents) + len(made.agents.supervisors)
        assert general.values("sessionlimit") == [str(2 * people + 10)], people
    assert [_skeleton(s)[0] for s in hostile["http.conf"].sections] == ["general"]

    _check_pjsip(config, secrets, hostile["pjsip.conf"], shipped["pjsip.conf"])
    _check_queues(config, hostile["queues.conf"], shipped["queues.conf"])
    _check_manager(hostile["manager.conf"], shipped["manager.conf"])
    _check_dialplan(config, hostile["extensions.conf"], shipped["extensions.conf"])


def _check_pjsip(config: Config, secrets: Secrets, conf: ConfFile, shipped: ConfFile) -> None:
    endpoints = config.sip_endpoints
    assert LONG_ENDPOINT in endpoints
    browsers = sorted([*(agent_web_endpoint(a) for a in config.agents.agents),
                       *(supervisor_web_endpoint(u) for u in config.agents.supervisors)])
    seats = [name for name in endpoints if name not in browsers]
    # the seats' softphones (sub-centers, agents' desks), then the agents' browser softphones
    assert conf.section_names == ["global", "transport-udp", "transport-ws", "carrier",
                                  "carrier", "outbound-trunk", "outbound-trunk",
                                  *[n for name in seats for n in (name, name, name)],
                                  *[n for name in browsers for n in (name, name, name)]]
    assert [_skeleton(s) for s in conf.sections[:7]] == \
           [_skeleton(s) for s in shipped.sections[:7]]
    descriptions = _seat_descriptions(config)
    comments = list(conf.comments.values())
    contacts = {d.endpoint: d.contact for h in config.hotlines.hotlines
                if (d := h.destination) is not None and d.endpoint is not None}
    assert contacts["subcenter-12305"] == CONTACT
    for name in endpoints:
        endpoint, auth, aor = conf.named(name)
        model = shipped.named("agent-1001-web" if name in browsers else "agent-1001")
        names = {"auth": name, "aors": name, "username": name,
                 "password": secrets.sip_passwords[name]}
        if contacts.get(name):
            names["contact"] = contacts[name] or ""
        for section, like in zip((endpoint, auth, aor), model, strict=True):
            expected = [(e.key, names.get(e.key, e.value)) for e in like.entries]
            if section is aor and "contact" in names:
                expected.append(("contact", names["contact"]))
            assert [(e.key, e.value) for e in section.entries] == expected, name
        # the seat's description (a hotline's or an agent's name) is a comment, whole
        assert f" {descriptions[name]}: registers as {name}." in comments, name


def _check_queues(config: Config, conf: ConfFile, shipped: ConfFile) -> None:
    queues = sorted(config.queues.queues)
    assert LONG_QUEUE in queues
    assert conf.section_names == ["general", *queues]
    assert _skeleton(conf.sections[0]) == _skeleton(shipped.sections[0])
    for section in conf.sections[1:]:
        like = shipped.named(section.name) or shipped.named("q12345")
        assert [(e.key, e.value) for e in section.entries] == \
               [(e.key, e.value) for e in like[0].entries], section.name
        # the title is the comment under the section header, exactly
        assert conf.comments[section.line + 1] == " " + config.queues.queues[section.name].title


def _check_manager(conf: ConfFile, shipped: ConfFile) -> None:
    assert conf.section_names == shipped.section_names == ["general", "callcenter"]
    user = conf.section("callcenter")
    assert user.value("secret") == AMI_SECRET
    like = shipped.section("callcenter")
    assert [(e.key, AMI_SECRET if e.key == "secret" else e.value) for e in like.entries] == \
           [(e.key, e.value) for e in user.entries]
    assert _skeleton(conf.section("general")) == _skeleton(shipped.section("general"))


SAFE_FIELD = re.compile(r"[A-Za-z0-9_.@+:/&-]*")


def _check_dialplan(config: Config, conf: ConfFile, shipped: ConfFile) -> None:
    assert conf.section_names == shipped.section_names
    assert [_skeleton(s) for s in conf.sections if s.name != "cc-static"] == \
           [_skeleton(s) for s in shipped.sections if s.name != "cc-static"]
    priorities = [p for p in dialplan(conf) if p.context == "cc-static"]
    shipped_priorities = [p for p in dialplan(shipped) if p.context == "cc-static"]
    routes = static_routes(config, TODAY)
    firsts = [p for p in priorities if p.priority == "1"]
    assert [(p.exten, p.app) for p in firsts] == [(exten, "Gosub") for exten, _, _ in routes]
    for priority, (exten, spec, _comment) in zip(firsts, routes, strict=True):
        assert priority.data == f"cc-set-route,s,1({spec})", exten
        fields = spec.split(",")
        assert len(fields) == 9 and all(SAFE_FIELD.fullmatch(f) for f in fields), spec
    destinations = {p.data.split(",")[9] for p in firsts}
    assert {LONG_DIAL, f"PJSIP/{LONG_ENDPOINT}", "PJSIP/subcenter-12305"} <= destinations
    # the other priorities of [cc-static] are the template's own, as shipped
    assert [(p.priority, p.app, p.data) for p in priorities if p.priority != "1"] == \
           [(p.priority, p.app, p.data) for p in shipped_priorities if p.priority != "1"]
    # hence every ${…} and $[…] Asterisk expands is one the template wrote
    for conf_file in (conf, shipped):
        for p in dialplan(conf_file):
            assert "$" not in p.exten, p
    count = [sum(p.data.count(m) + p.app.count(m) for p in dialplan(c) for m in ("${", "$["))
             for c in (conf, shipped)]
    assert count[0] == count[1]


@pytest.mark.parametrize("password", ["new\nline", " leading", "trailing ", "tab\tbed"])
def test_a_secret_asterisk_would_misread_is_refused(hostile_dir: Path, password: str) -> None:
    config = load_config(hostile_dir)
    secrets = _secrets(config)
    broken = Secrets(secrets.ami_secret, {**secrets.sip_passwords, "agent-1002": password})
    with pytest.raises(AsteriskProcessError) as caught:
        _texts(config, broken)
    assert "SIP password of agent-1002" in str(caught.value)
    assert password.strip() not in str(caught.value)  # a secret is never shown


def edit(path: Path, old: str, new: str) -> int:
    """Replace text in a file; returns the 1-based line where it now stands."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


TOO_LONG = "热" * (MAX_TEXT + 1)

REFUSED = [
    # (file, text in the shipped file, its replacement, what the message says)
    ("agents.yaml", "name: 王芳", f"name: {TOO_LONG}", "at most 100 characters"),
    ("agents.yaml", "pause_reasons: [小休,", f"pause_reasons: [{TOO_LONG},",
     "at most 100 characters"),
    ("queues.yaml", "title: 12345政务服务便民热线", f"title: {TOO_LONG}",
     "at most 100 characters"),
    ("hotlines.yaml", "name: 全国统一科技公益服务电话", f"name: {TOO_LONG}",
     "at most 100 characters"),
    ("hotlines.yaml", "units: [省科技厅]", f"units: [{TOO_LONG}]", "at most 100 characters"),
    ("engine.yaml", "bind_address: 127.0.0.1", "bind_address: 'fe80::1%${SHELL(id)}'",
     "scope"),
    ("engine.yaml", "  host: 127.0.0.1\n  port: 4573", "  host: '::1%x;y'\n  port: 4573",
     "scope"),
    ("engine.yaml", "username: callcenter", "username: general", "general"),
    ("engine.yaml", "username: callcenter", f"username: {'u' * 33}", "at most 32"),
    ("hotlines.yaml", "{endpoint: subcenter-12305}",
     "{endpoint: subcenter-12305, contact: 'sip:a@192.0.2.1,sip:b@192.0.2.2'}", "contact"),
    ("hotlines.yaml", "{endpoint: subcenter-12305}",
     "{endpoint: subcenter-12305, contact: 'sip:a@192.0.2.1 '}", "contact"),
    ("hotlines.yaml", "{endpoint: subcenter-12305}",
     "{endpoint: subcenter-12305, contact: 'sip:${SHELL(id)}@h'}", "contact"),
    ("hotlines.yaml", "{endpoint: subcenter-12305}",
     "{endpoint: subcenter-12305, contact: 'sip:a@h;[x]'}", "contact"),
    ("hotlines.yaml", "{endpoint: subcenter-12305}",
     f"{{endpoint: subcenter-12305, contact: 'sip:a@h;{'x' * 200}'}}", "contact"),
    ("hotlines.yaml", "{endpoint: subcenter-12305}", f"{{endpoint: s{'x' * 64}}}",
     "at most 64"),
    ("hotlines.yaml", "{endpoint: subcenter-12305}", "{endpoint: carrier}", "carrier"),
    ("hotlines.yaml", "{endpoint: subcenter-12305}", "{endpoint: agent-1001}", "agent-"),
    ("hotlines.yaml", "{endpoint: subcenter-12305}",
     f"{{dial: 'PJSIP/{'x' * 200}'}}", "at most 200"),
    ("hotlines.yaml", 'number: "12396"', 'number: "１２３９６"', "not a hotline number"),
    ("hotlines.yaml", 'number: "12396"', 'number: "١٢٣٩٦"', "not a hotline number"),
    ("hotlines.yaml", 'area_code: "0931"', 'area_code: "0９３１"', "area_code"),
    ("agents.yaml", '"1001":', '"１００１":', "agents.１００１"),
    ("queues.yaml", "  q12345:", f"  q{'x' * 64}:", "at most 64"),
]


@pytest.mark.parametrize(("file", "old", "new", "message"), REFUSED)
def test_what_asterisk_would_misread_is_refused_with_its_line(
        tmp_path: Path, file: str, old: str, new: str, message: str) -> None:
    directory = _copy_config(tmp_path)
    line = edit(directory / file, old, new)
    config, problems = collect(directory)
    errors = [str(p) for p in problems if not p.warning]
    assert config is None
    assert any(f"{file}:{line}:" in e and message in e for e in errors), errors


FILTERS = r"\|\s*(conf_value|conf_secret|conf_section|dialplan_data|dialplan_exten)\b[^|]*"
MY_TEMPLATES = sorted({*(PROJECT_ROOT / "asterisk" / "templates").glob("*.j2"),
                       PROJECT_ROOT / "dialplan" / "extensions.conf.j2"}
                      - {PROJECT_ROOT / "asterisk" / "templates" / "asterisk.conf.j2"})


@pytest.mark.parametrize("template", MY_TEMPLATES, ids=lambda p: p.name)
def test_every_value_a_template_writes_goes_through_an_escaping_filter(template: Path) -> None:
    """Outside comments, every {{ … }} ends in the filter that makes it safe where it stands
    (comments take any one-line text: the environment refuses line breaks everywhere)."""
    for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
        for match in re.finditer(r"\{\{(.*?)\}\}", line):
            before = re.sub(r"\\;", "", line[:match.start()])
            if ";" in before:
                continue
            assert re.search(FILTERS + r"$", match.group(1).strip()), \
                f"{template.name}:{number}: {match.group(0)}"


def test_whatever_a_template_prints_stays_on_its_line(hostile_dir: Path) -> None:
    """The loader refuses line breaks; a configuration made in code meets the renderer's own
    refusal, comments included (an agent's name is only ever a comment)."""
    config = load_config(hostile_dir)
    agents = config.agents.agents
    crafted = {**agents, "1001": agents["1001"].model_copy(
        update={"name": "坐席\n[agent-1001]\ntype = auth\npassword = x"})}
    crafted_config = Config(config.directory, config.engine, config.prompts, config.hotlines,
                            config.queues, config.agents.model_copy(update={"agents": crafted}),
                            config.prefill)
    with pytest.raises(AsteriskProcessError, match="control character"):
        _texts(crafted_config, _secrets(crafted_config))


def test_a_line_asterisk_would_skip_is_refused(hostile_dir: Path) -> None:
    config = load_config(hostile_dir)
    secrets = _secrets(config)
    long = Secrets(secrets.ami_secret, {**secrets.sip_passwords, "agent-1002": "x" * 8200})
    with pytest.raises(AsteriskProcessError, match=r"pjsip.conf:\d+: a line of 8211 bytes") \
            as caught:
        _texts(config, long)
    assert "x" * 20 not in str(caught.value)


def test_the_reader_reads_as_asterisk_does() -> None:
    """The facts of main/config.c the checks above rely on."""
    conf = parse("; head\n[a]\nk = v ; c\np = x\\;y\\\\;z\nq = a;-- opened\n[hidden]\n"
                 "--; closed\nr => 1--;\n[never]\n")
    assert conf.comments[1] == " head"
    (a,) = conf.sections
    assert [(e.key, e.value, e.arrow) for e in a.entries] == [
        ("k", "v", False), ("p", "x;y\\;z", False), ("q", "a", False), ("r", "1--;", True)]
    assert conf.warnings == ["line 7: no '=' (equal sign)"]  # " closed", out of the comment
    # a stray "--;" makes every later line a comment: [never] is not read
    long_line = "k = " + "x" * 8187
    conf = parse(f"[{'s' * 90}]\n{long_line}\nj = {'y' * 8186}\n")
    assert conf.section_names == ["s" * 79]
    assert conf.skipped == [2]
    assert conf.sections[0].keys == ["j"]
    assert parse("[a]\n#include /etc/passwd\n").directives[0].argument == "/etc/passwd"
    assert parse("k = v\n").invalid == "line 1: no category context"


@pytest.mark.parametrize("dial", ["PJSIP/x${SHELL(id)}", "PJSIP/x$[1+1]", "PJSIP/a)b",
                                  "PJSIP/a;b", "PJSIP/a b", "PJSIP/a\\b"])
def test_the_dialplan_refuses_what_the_loader_would_have(dial: str) -> None:
    """A configuration made in code, past the loader's dial-string grammar: the template's
    filter refuses to write it into a dialplan application's arguments."""
    config = load_config(PROJECT_ROOT / "config")
    hotlines = [h.model_copy(update={"destination": SubcenterDestination.model_construct(
                    endpoint=None, contact=None, dial=dial)}) if h.number == "12360" else h
                for h in config.hotlines.hotlines]
    crafted = Config(config.directory, config.engine, config.prompts,
                     config.hotlines.model_copy(update={"hotlines": hotlines}), config.queues,
                     config.agents, config.prefill)
    with pytest.raises(AsteriskProcessError, match=r"extensions\.conf: the dialplan argument"):
        _texts(crafted, _secrets(crafted))
