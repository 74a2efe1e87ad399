"""Live speech recognition under load: concurrent 8 kHz streams sent at real-time pace in
20 ms AudioSocket frames (as Asterisk sends them, from another process) through the engine's
AudioSocket server and recognizer pool, with the real Vosk model.

    python bench/asr_streams.py [--levels 4,6,…] [--seconds 60] [--memory-streams 4]
                                [--memory-minutes 10] [--skip-memory] [--skip-never]
                                [--model DIR] [--compare DIR] [--recycle-after-s S]

The callers speak the utterances of the shipped call transcripts (synthesized once, kept in
var/bench-asr/), each caller starting at a different utterance: no two streams decode the
same audio at the same time, and no stream hears an utterance twice in 10 minutes (a
lookahead model's per-recognizer cache would make repeated audio look cheap).

1. For each number of streams (each with its ticket in an SQLite store): p95 / max lag
   (audio ready to decode, its 100 ms chunk complete, until decoded; the chunking itself
   holds audio up to 100 ms) and the time from the end of each spoken sentence to the
   ticket updated with it (final result, utterance and pre-fill written). The largest level
   with p95 lag under 300 ms is the capacity; divided by the cores: streams per core.
2. Memory: streams fed 10 minutes of audio each (as fast as the CPU allows), RSS growth per
   stream with the pool recycling recognizers (asr.recycle_after_s) vs never recycling,
   and the shared model's own RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog

from callcenter.asr.model import check_model
from callcenter.asr.pool import AsrPool
from callcenter.asr.segmenter import AsrResult
from callcenter.audio import read_pcm
from callcenter.audiosocket.server import AudioSocketServer
from callcenter.audiosocket.wire import Audio, Hangup, StreamId, encode
from callcenter.config.loader import load_config
from callcenter.config.models import AsrSettings
from callcenter.paths import PROJECT_ROOT
from callcenter.prefill import extract
from callcenter.prefill.evaluate import load_cases
from callcenter.prompts import synthesize, to_pinyin
from callcenter.store.db import Store
from callcenter.tickets.store import TicketOpen, Tickets, Utterance

PAUSE_S = 1.5
FRAME = 320  # bytes: 20 ms
TRANSCRIPTS = ("transcripts.yaml", "heldout.yaml")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def build_utterances(work: Path) -> list[bytes]:
    """Every utterance of the shipped call transcripts (133, ~12 minutes), spoken once by
    espeak-ng and kept: varied speech, so no stream decodes the same audio as another."""
    out: list[bytes] = []
    for name in TRANSCRIPTS:
        for case in load_cases(PROJECT_ROOT / "tests/data/prefill" / name):
            for j, line in enumerate(case.lines):
                wav = work / f"{Path(name).stem}-{case.id:03d}-{j}.wav"
                if not wav.exists():
                    synthesize(to_pinyin(line.replace(" ", "")), wav)
                out.append(read_pcm(wav))
    return out


def caller_audio(utterances: list[bytes], first: int, seconds: float) -> tuple[bytes, list[float]]:
    """One caller: utterances from ``first`` on (wrapping), each followed by a pause, until
    ``seconds`` of audio; and when each utterance ends (s)."""
    parts: list[bytes] = []
    ends: list[float] = []
    pause = b"\0\0" * int(8000 * PAUSE_S)
    samples, k = 0, first
    while samples / 8000 < seconds:
        utterance = utterances[k % len(utterances)]
        samples += len(utterance) // 2
        ends.append(samples / 8000)
        parts += (utterance, pause)
        samples += len(pause) // 2
        k += 1
    return b"".join(parts), ends


def stride(utterances: list[bytes], n: int) -> int:
    return max(1, len(utterances) // max(n, 1))


async def feed(port: int, stream_id: str, pcm: bytes, paced: bool,
               sent_at: list[float]) -> None:
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(encode(StreamId(stream_id)))
    loop = asyncio.get_running_loop()
    start = loop.time()
    for i, offset in enumerate(range(0, len(pcm), FRAME)):
        if paced:
            delay = start + i * 0.02 - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        writer.write(encode(Audio(pcm[offset:offset + FRAME])))
        sent_at.append(time.monotonic())
        if not paced and i % 50 == 0:
            await writer.drain()
    writer.write(encode(Hangup()))
    await writer.drain()
    writer.close()


def _feed_all(port: int, ids: list[str], audios: list[bytes]) -> list[float]:
    async def go() -> list[float]:
        starts: list[list[float]] = [[] for _ in ids]
        await asyncio.gather(*(feed(port, stream_id, audios[i], True, starts[i])
                               for i, stream_id in enumerate(ids)))
        return [s[0] for s in starts]
    return asyncio.run(go())


def _feed_elsewhere(port: int, ids: list[str], audios: list[bytes]) -> list[float]:
    """Run the feeders in a child process; returns when each stream's first frame went."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as other:
        return other.submit(_feed_all, port, ids, audios).result()


class Sink:
    def __init__(self, stream: object) -> None:
        self.stream = stream

    def audio(self, pcm: bytes) -> None:
        self.stream.feed(pcm)  # type: ignore[attr-defined]

    def ended(self, reason: str) -> None:
        self.stream.close()  # type: ignore[attr-defined]


def pctl(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))] if ordered else float("nan")


async def run_level(model: Path, n: int, seconds: float, utterances: list[bytes],
                    settings: AsrSettings) -> dict[str, float]:
    callers = [caller_audio(utterances, i * stride(utterances, n), seconds) for i in range(n)]
    pool = AsrPool(settings.model_copy(update={"max_streams": n, "warm_recognizers": n}),
                   model)
    assert await pool.start(), pool.unavailable
    server = AudioSocketServer("127.0.0.1", 0)
    await server.start()
    assert server._server is not None
    port = server._server.sockets[0].getsockname()[1]
    finals: list[list[tuple[float, AsrResult]]] = [[] for _ in range(n)]
    streams = []
    # the ticket side, as the engine does it: utterance row, pre-fill, prefill row
    store = await Store.open(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    tickets = Tickets(store)
    rules = load_config(PROJECT_ROOT / "config").prefill
    ticket_ids = [await tickets.open(TicketOpen(f"bench.{i}", "13800000000", "12345", "12345",
                                                "12345", "", "q12345", "1001", "t"))
                  for i in range(n)]
    said: list[list[str]] = [[] for _ in range(n)]
    updates: list[asyncio.Task[None]] = []

    async def update_ticket(i: int, result: AsrResult) -> None:
        said[i].append(result.text)
        await tickets.add_utterance(ticket_ids[i], Utterance("caller", result.start_s,
                                                             result.end_s, result.text, "t"))
        await tickets.set_prefill(ticket_ids[i], extract(said[i], rules).as_dict())
        finals[i].append((time.monotonic(), result))

    for i in range(n):
        def on_result(result: AsrResult, i: int = i) -> None:
            if result.final:
                updates.append(asyncio.get_running_loop().create_task(
                    update_ticket(i, result)))
        stream = pool.open_stream(f"bench/{i}", on_result)
        assert stream is not None
        streams.append(stream)
        server.expect(str(uuid.uuid4()), Sink(stream))
    ids = list(server._expected)
    cpu0 = time.process_time()
    wall0 = time.monotonic()
    # the callers' side (Asterisk) is another process, as in production: it must not take
    # the engine's interpreter lock
    first_sent = await asyncio.get_running_loop().run_in_executor(
        None, _feed_elsewhere, port, ids, [pcm for pcm, _ in callers])
    await asyncio.gather(*(s.task for s in streams if s.task is not None))
    await asyncio.gather(*updates)
    await store.close()
    wall = time.monotonic() - wall0
    cpu = time.process_time() - cpu0
    lags = [lag for s in streams for lag in s.lags_s]
    # end of speech → ticket updated (final result, utterance and pre-fill stored): match
    # each final to the utterance it ends
    delays = []
    for i in range(n):
        ends = callers[i][1]
        for arrived, result in finals[i]:
            spoken_end = min((e for e in ends if e <= result.end_s + 0.25),
                             key=lambda e: abs(e - result.end_s), default=None)
            if spoken_end is not None:
                delays.append(arrived - (first_sent[i] + spoken_end))
    await server.stop()
    await pool.close()
    return {"streams": n, "p95_lag_s": pctl(lags, 0.95), "max_lag_s": pctl(lags, 1.0),
            "finals": sum(len(f) for f in finals),
            "audio_s": sum(len(pcm) for pcm, _ in callers) / 16000,
            "cpu_s": cpu, "wall_s": wall,
            "final_p50_s": statistics.median(delays) if delays else float("nan"),
            "final_p95_s": pctl(delays, 0.95)}


async def run_memory(model: Path, n: int, minutes: float, utterances: list[bytes],
                     settings: AsrSettings) -> tuple[float, float, float]:
    callers = [caller_audio(utterances, i * stride(utterances, n), minutes * 60)[0]
               for i in range(n)]
    pool = AsrPool(settings.model_copy(update={"max_streams": n, "warm_recognizers": 0}),
                   model)
    base0 = rss_mb()
    assert await pool.start(), pool.unavailable
    base = rss_mb()
    server = AudioSocketServer("127.0.0.1", 0)
    await server.start()
    assert server._server is not None
    port = server._server.sockets[0].getsockname()[1]
    streams = []
    for i in range(n):
        stream = pool.open_stream(f"mem/{i}", lambda _r: None)
        assert stream is not None
        streams.append(stream)
        server.expect(f"00000000-0000-0000-0000-{i:012d}", Sink(stream))
    ids = list(server._expected)
    peak = base

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss_mb())
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(feed(port, ids[i], callers[i], False, []) for i in range(n)))
    await asyncio.gather(*(s.task for s in streams if s.task is not None))
    sampler.cancel()
    await server.stop()
    await pool.close()
    return (peak - base) / n, min(len(c) for c in callers) / 16000 / 60, base - base0


def _memory_run(model: Path, n: int, minutes: float, utterances: list[bytes],
                settings: AsrSettings) -> tuple[float, float, float]:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    return asyncio.run(run_memory(model, n, minutes, utterances, settings))


def _in_fresh_process(model: Path, n: int, minutes: float, utterances: list[bytes],
                      settings: AsrSettings) -> tuple[float, float, float]:
    """Memory is measured in a process of its own: what earlier runs left to the allocator
    must not count."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as other:
        return other.submit(_memory_run, model, n, minutes, utterances, settings).result()


def measure(model: Path, args: argparse.Namespace, utterances: list[bytes],
            settings: AsrSettings) -> None:
    cores = os.cpu_count() or 1
    check = check_model(model)
    print(f"\nmodel {model} ({'; '.join(check.notes[:1])}); {cores} cores; "
          f"{args.seconds:g} s of varied speech per caller (utterances with {PAUSE_S:g} s "
          f"pauses), 20 ms frames at real-time pace")
    print(f"{'streams':>7} {'p95 lag':>8} {'max lag':>8} {'speech end→ticket p50/p95':>26} "
          f"{'CPU/audio s':>11}")
    best = both = previous = 0
    for n in [int(x) for x in args.levels.split(",")]:
        r = asyncio.run(run_level(model, n, args.seconds, utterances, settings))
        print(f"{n:7d} {r['p95_lag_s'] * 1000:6.0f}ms {r['max_lag_s'] * 1000:6.0f}ms "
              f"{r['final_p50_s']:12.2f} s / {r['final_p95_s']:.2f} s "
              f"{r['cpu_s'] / r['audio_s']:11.3f}", flush=True)
        if r["p95_lag_s"] >= 0.3:
            break
        best = n
        if r["final_p95_s"] <= 1.0 and both == previous:  # every level up to here met both
            both = n
        previous = n
    print(f"capacity (p95 lag < 300 ms): {best} streams = {best / cores:.1f} per core")
    print(f"… and speech end→ticket p95 ≤ 1 s too: {both} streams = {both / cores:.1f} per core")
    if args.skip_memory:
        return
    runs = [(f"recycling every {settings.recycle_after_s:g} s of audio",
             settings.recycle_after_s)]
    if not args.skip_never:
        runs.append(("never recycling", 1e9))
    for label, recycle in runs:
        per, minutes, model_mb = _in_fresh_process(
            model, args.memory_streams, args.memory_minutes, utterances,
            settings.model_copy(update={"recycle_after_s": recycle}))
        print(f"RSS growth per stream after {minutes:.1f} min of audio ({args.memory_streams} "
              f"streams), {label}: {per:.0f} MB (the model itself: {model_mb:.0f} MB, "
              f"shared)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", default="4,6,8,10,12,14,16")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--memory-streams", type=int, default=4)
    parser.add_argument("--memory-minutes", type=float, default=10)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-never", action="store_true",
                        help="memory: only with recycling, not also without")
    parser.add_argument("--recycle-after-s", type=float, default=None,
                        help="replace recognizers after this much audio (default: engine.yaml's)")
    parser.add_argument("--model", type=Path, default=None,
                        help="default: engine.yaml's asr.model")
    parser.add_argument("--compare", type=Path, action="append", default=[],
                        help="another model to measure the same way (e.g. the lookahead "
                        "original of a static model)")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    work = PROJECT_ROOT / "var" / "bench-asr"
    work.mkdir(parents=True, exist_ok=True)
    utterances = build_utterances(work)
    config = load_config(PROJECT_ROOT / "config")
    settings = config.engine.asr
    if args.recycle_after_s is not None:
        settings = settings.model_copy(update={"recycle_after_s": args.recycle_after_s})
    model = args.model or PROJECT_ROOT / settings.model
    print(f"{len(utterances)} utterances, {sum(map(len, utterances)) / 16000:.0f} s of speech "
          f"(the shipped call transcripts, espeak-ng)")
    for each in (model, *args.compare):
        measure(each, args, utterances, settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
