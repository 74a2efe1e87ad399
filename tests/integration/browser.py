"""What the browser tests share: Debian's Chromium with a fake microphone playing speech,
a caller's speech for sipp, and the lab engine transcribing the agent's side too (the proof
that the browser's microphone reaches Asterisk)."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from callcenter.app import Engine
from callcenter.audio import read_pcm
from callcenter.config.models import Speaker
from callcenter.prompts import synthesize, to_pinyin
from lab.rtp import write_rtp_pcap
from tests.integration.conftest import Lab, running_engine

CHROMIUM = "/usr/bin/chromium"
CALLER_SAYS = "您好，我家在兰州市城关区雁滩路，已经停水两天了。"
AGENT_SAYS = "您好，这里是一二三四五热线，请问有什么可以帮您。"
LEAD_S = 6.0  # greeting and queue before the agent answers
SILENCE_LEVEL = 0.01  # WebRTC audioLevel (0..1) of quiet; the caller's speech is far above


@dataclass(frozen=True)
class Voices:
    caller_pcap: Path  # what sipp plays: quiet, then the caller's words twice
    agent_wav: Path  # the browser's microphone: 48 kHz mono (Chromium loops it)
    agent_rms: float


def rms(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, "<i2").astype(np.float64) / 32768
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> Voices:
    work = tmp_path_factory.mktemp("voices")
    caller, agent8k, agent = work / "caller.wav", work / "agent-8k.wav", work / "agent.wav"
    synthesize(to_pinyin(CALLER_SAYS), caller)
    synthesize(to_pinyin(AGENT_SAYS), agent8k)
    # 48 kHz as Chromium's fake capture wants it; a second of quiet ends each round
    subprocess.run(["sox", str(agent8k), "-r", "48000", "-c", "1", "-b", "16", str(agent),
                    "pad", "0", "1"], check=True, capture_output=True, timeout=60)
    words = read_pcm(caller)
    pcap = work / "caller.pcap"
    gap = b"\0\0" * 8000
    write_rtp_pcap(b"\0\0" * int(8000 * LEAD_S) + words + gap + words + gap * 30, pcap)
    return Voices(pcap, agent, rms(read_pcm(agent8k)))


@pytest.fixture
async def engine_hearing_agents(lab: Lab) -> AsyncIterator[tuple[Lab, Engine]]:
    """The lab's engine, transcribing the agent's side too (the proof that the browser's
    microphone reaches Asterisk)."""
    asr = lab.config.engine.asr.model_copy(update={"speakers": [Speaker.CALLER,
                                                                Speaker.AGENT]})
    config = replace(lab.config, engine=lab.config.engine.model_copy(update={"asr": asr}))
    hearing = replace(lab, config=config)
    async with running_engine(hearing) as engine:
        yield hearing, engine


def chromium_args(microphone: Path) -> list[str]:
    return ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}", "--no-sandbox",
            "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"]


