"""Real audio through the real Asterisk into the real Vosk model and into the ticket."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from callcenter.app import Engine
from callcenter.asr.pool import AsrPool
from callcenter.audio import g711_round_trip, read_pcm
from callcenter.config.loader import agent_endpoint
from callcenter.paths import PROJECT_ROOT
from callcenter.prompts import synthesize, to_pinyin
from callcenter.tickets.desk import TicketDesk
from lab.rtp import write_rtp_pcap
from lab.sipp import CallSpec, place_calls
from lab.softphone import Softphone, SoftphoneSettings
from tests.integration.conftest import Lab

SPOKEN = "您好，我家在兰州市城关区雁滩路，已经停水两天了，一直没人来修。"
OTHER = "我想咨询一下公积金贷款的额度，还有提取需要什么材料。"
LEAD_S = 9.0  # greeting, queue and the agent's answer come first


def cer(hypothesis: str, reference: str) -> float:
    """Character error rate (edit distance over reference characters, spaces ignored)."""
    hyp, ref = hypothesis.replace(" ", ""), reference.replace(" ", "")
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[len(hyp)] / max(len(ref), 1)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The caller's words: a WAV of the speech alone, the pcap sipp plays (lead-in silence,
    the speech, then quiet), and a WAV of other words."""
    work = tmp_path_factory.mktemp("speech")
    wav, other = work / "speech.wav", work / "other.wav"
    synthesize(to_pinyin(SPOKEN), wav)
    synthesize(to_pinyin(OTHER), other)
    pcm = read_pcm(wav)
    pcap = work / "caller.pcap"
    write_rtp_pcap(b"\0\0" * int(8000 * LEAD_S) + pcm + b"\0\0" * 8000 * 3, pcap)
    return wav, pcap, other


def write_wav(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(pcm)


def offline_reference(lab: Lab, wav: Path) -> str:
    """The same model on the same audio, decoded the engine's way in a fresh process (Vosk
    is not bit-repeatable within one)."""
    model = lab.paths.resolve(lab.config.engine.asr.model)
    out = subprocess.run([sys.executable, "-m", "callcenter.asr.offline", str(model), str(wav)],
                         capture_output=True, text=True, check=True, timeout=120,
                         cwd=PROJECT_ROOT)
    return " ".join(json.loads(line)["text"] for line in out.stdout.splitlines())


async def test_caller_speech_reaches_the_ticket(lab: Lab, engine: Engine,
                                                speech: tuple[Path, Path, Path]) -> None:
    wav, pcap, other = speech
    await lab.wait_for("the recognizer pool", lambda: engine.part(AsrPool).unavailable is None,
                       timeout=60)
    agent = _agent_phone(lab)
    await asyncio.to_thread(agent.start)
    try:
        await engine.agent_desk.login("1001")
        speech_s = len(read_pcm(wav)) / 16000
        result = await place_calls([CallSpec("12345", "13755556666")], audio=pcap,
                                   hold_ms=int((LEAD_S + speech_s + 3) * 1000),
                                   local_port=5081, media_port=17200)
        assert result.successful == 1
    finally:
        await engine.agent_desk.logout("1001")
        await asyncio.to_thread(agent.stop)
    call_id = await lab.call_id("13755556666")
    (created,) = await lab.wait_for("ticket.created", lambda: lab.events(
        "ticket.created", call_id=call_id))
    (started,) = lab.events("asr.started", call_id=call_id, speaker="caller")
    assert started["channel"].startswith("PJSIP/carrier-")
    finals = await lab.wait_for("asr.final", lambda: lab.events(
        "asr.final", call_id=call_id, speaker="caller"), timeout=20)
    await lab.wait_for("ticket.prefilled", lambda: lab.events(
        "ticket.prefilled", call_id=call_id))
    assert engine.part(TicketDesk).tickets is not None
    ticket = await engine.part(TicketDesk).tickets.get(created["ticket"])
    said = [u for u in ticket["transcript"] if u["speaker"] == "caller"]
    # the words stay in the ticket store; the call log says only how long each was
    assert [len(u["text"]) for u in said] == [f["chars"] for f in finals]
    assert not any("text" in f for f in finals)
    live = " ".join(u["text"] for u in said)
    # 1. the audio path is exact: what the engine received holds the caller's speech after
    #    G.711, sample for sample (framing, byte order and rate all right)
    kept = Path(lab.config.engine.lab.keep_forked_audio) / f"{call_id}-caller.wav"
    await lab.wait_for("the forked audio", kept.exists)  # written when the stream ends
    received = np.frombuffer(read_pcm(kept), "<i2")
    sent = np.frombuffer(g711_round_trip(read_pcm(wav)), "<i2")
    lead = int(np.flatnonzero(received)[0]) - int(np.flatnonzero(sent)[0])
    assert lead > 0 and np.array_equal(received[lead:lead + sent.size], sent)
    # 2. the live transcript is what the model makes of that audio offline, in a fresh
    #    process: the same lead-in, speech and trailing quiet
    reference_wav = lab.paths.run / "speech-reference.wav"
    write_wav(reference_wav, received[:lead].tobytes() + sent.tobytes()
              + received[lead + sent.size:].tobytes())
    reference = offline_reference(lab, reference_wav)
    assert reference, "the reference decode heard nothing"
    # The Korean model turns Mandarin TTS into unstable word salad, and Vosk is not
    # repeatable within a process (measured: five decodes of one recording in one process
    # gave five transcripts): live vs this reference measured 0.08-0.60 CER on identical
    # audio, vs 0.81-0.98 against other speech. The sample-exact check above is the strict
    # one; this one shows the transcript in the ticket is the model's reading of that audio.
    unrelated = offline_reference(lab, other)
    assert cer(live, reference) <= 0.7, (live, reference)
    assert cer(live, reference) < cer(live, unrelated), (live, reference, unrelated)
    # times are seconds from the answer: the speech began about LEAD_S after the call did,
    # a few seconds (greeting, queue, ringing) before the agent answered
    assert 0.5 <= said[0]["start_s"] <= LEAD_S
    # the pre-fill was redone after every caller utterance, and what the store keeps is
    # what the last update said (the log masks phones: compare the other fields)
    prefilled = lab.events("ticket.prefilled", call_id=call_id)
    assert len(prefilled) == len(said)
    stored = {k: v for k, v in ticket["prefill"].items() if k not in ("phones", "place")}
    logged = prefilled[-1]["fields"]
    assert stored == {k: v for k, v in logged.items() if k not in ("phones", "place")}
    assert (logged["place"]["city"], logged["place"]["county"]) == (
        ticket["prefill"]["place"]["city"], ticket["prefill"]["place"]["county"])


def test_cer() -> None:
    assert cer("abc", "abc") == 0
    assert cer("abd", "abc") == pytest.approx(1 / 3)
    assert cer("", "ab") == 1


def _agent_phone(lab: Lab) -> Softphone:
    endpoint = agent_endpoint("1001")
    return Softphone(SoftphoneSettings(endpoint, lab.secrets.sip_passwords[endpoint],
                                       sip_port=5064, rtp_low=30400, rtp_high=30500,
                                       answer_delay_s=0.3, talk_s=60.0))


async def test_hang_up_mid_sentence_and_a_garbage_client(
        lab: Lab, engine: Engine, speech: tuple[Path, Path, Path]) -> None:
    """The words said up to the hang-up reach the ticket; a stranger on the AudioSocket port
    is turned away and the call is not disturbed."""
    wav, pcap, _other = speech
    await lab.wait_for("the recognizer pool", lambda: engine.part(AsrPool).unavailable is None,
                       timeout=60)
    agent = _agent_phone(lab)
    await asyncio.to_thread(agent.start)
    speech_s = len(read_pcm(wav)) / 16000

    async def garbage_client() -> None:
        await asyncio.sleep(LEAD_S + 1)  # while the caller talks to the agent
        _reader, writer = await asyncio.open_connection(
            "127.0.0.1", lab.config.engine.asr.audiosocket_port)
        writer.write(b"\x01\x00\x10" + b"not a uuid at all" + b"\xde\xad" * 100)
        await writer.drain()
        await asyncio.sleep(0.5)
        writer.close()

    try:
        await engine.agent_desk.login("1001")
        garbage = asyncio.create_task(garbage_client())
        result = await place_calls([CallSpec("12345", "13755557777")], audio=pcap,
                                   hold_ms=int((LEAD_S + speech_s / 2) * 1000),
                                   local_port=5081, media_port=17200)
        await garbage
        assert result.successful == 1
    finally:
        await engine.agent_desk.logout("1001")
        await asyncio.to_thread(agent.stop)
    call_id = await lab.call_id("13755557777")
    (rejected, *_) = await lab.wait_for("audiosocket.rejected", lambda: lab.events(
        "audiosocket.rejected"))
    assert rejected["error"].startswith("unknown stream ")  # 16 bytes of text read as a UUID
    (ended,) = await lab.wait_for("the caller's stream end", lambda: lab.events(
        "asr.stream_ended", stream=f"{call_id}/caller"))
    assert ended["reason"] in ("hang-up", "closed by Asterisk")
    finals = await lab.wait_for("asr.final", lambda: lab.events(
        "asr.final", call_id=call_id, speaker="caller"))
    (created,) = lab.events("ticket.created", call_id=call_id)
    await lab.wait_for("ticket.closed", lambda: lab.events("ticket.closed", call_id=call_id))
    assert engine.part(TicketDesk).tickets is not None
    ticket = await engine.part(TicketDesk).tickets.get(created["ticket"])
    (said,) = [u for u in ticket["transcript"] if u["speaker"] == "caller"]
    assert len(said["text"]) == finals[-1]["chars"] > 0
    # cut off about half-way through the sentence: the utterance ends at the hang-up
    assert said["end_s"] - said["start_s"] <= speech_s / 2 + 0.5
    # the call itself went on normally: answered by the agent, ended by the caller
    (answered,) = lab.events("queue.answered", call_id=call_id)
    assert answered["agent"] == "1001"


async def test_wrong_model_path_leaves_calls_working(lab: Lab, engine: Engine) -> None:
    """A second engine config with a model path that does not exist: it starts, takes the
    call to an agent and opens the ticket, says once why there is no transcription."""
    engine.stop()  # the module's engine makes way for one with a broken model path
    await lab.wait_for("the engine to stop", lambda: engine.store is not None and
                       lab.events("engine.stopped"), timeout=15)
    asr = lab.config.engine.asr.model_copy(update={"model": "/nonexistent/vosk-model"})
    config = replace(lab.config, engine=lab.config.engine.model_copy(update={"asr": asr}))
    broken = Engine(config, lab.paths, lab.secrets)
    lab.engine = broken
    task = asyncio.create_task(broken.run(handle_signals=False))
    agent = _agent_phone(lab)
    try:
        await broken.ami.wait_connected(15)
        await lab.wait_for("the first resync", lambda: broken.resyncs >= 1)
        await asyncio.to_thread(agent.start)
        await broken.agent_desk.login("1001")
        result = await place_calls([CallSpec("12345", "13755558888")], hold_ms=9000,
                                   local_port=5081, media_port=17200)
        assert result.successful == 1
        await broken.agent_desk.logout("1001")
    finally:
        await asyncio.to_thread(agent.stop)
        broken.stop()
        await asyncio.wait_for(task, 15)
        lab.engine = None
    call_id = await lab.call_id("13755558888")
    assert lab.events("ticket.created", call_id=call_id)
    assert not lab.events("asr.started", call_id=call_id)
    unavailable = [e for e in lab.events("asr.unavailable") if "/nonexistent" in e["reason"]]
    assert len(unavailable) == 1
    assert "does not exist" in unavailable[0]["reason"]
