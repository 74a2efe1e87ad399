"""AMI ingest benchmark: frames recorded from real calls, repeated to ≥ 100,000 frames.

Prints, for the same bytes fed in 4 KiB socket-sized chunks:
  * panoramisk's bare frame parsing (its AMIProtocol.data_received, responses matched to
    nothing, no dispatch) — the baseline;
  * the engine's full path: wire parser → typed events → call-state model;
  * the same plus writing every frame to the call log (JSON lines) as the live engine does;
and the ratio of the engine's full path to the baseline. Targets (issue #2): ≥ 30,000
events/s on one core, full path ≥ 0.5 × the bare parse rate.

Usage: python bench/ami_ingest.py [--frames N] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from panoramisk.ami_protocol import AMIProtocol

from callcenter.ami.adapter import adapt
from callcenter.ami.wire import AmiFrame, AmiParser
from callcenter.app import LOG_FLUSH_S
from callcenter.calllog.writer import CallLog
from callcenter.calls.state import CallTracker
from tests.recorded import recorded_frames, to_wire

CHUNK = 4096
BANNER = b"Asterisk Call Manager/11.0.0\r\n"
ID_KEYS = ("Uniqueid", "Linkedid", "DestUniqueid", "DestLinkedid")


def build_stream(min_frames: int) -> tuple[list[bytes], int]:
    """Repeat the recording, renumbering channel ids so every copy is a new set of calls."""
    frames = [f for _, f in recorded_frames() if f.is_event]
    out = [BANNER]
    count = 0
    copy = 0
    while count < min_frames:
        for frame in frames:
            headers = dict(frame.headers)
            for key in ID_KEYS:
                if key in headers:
                    headers[key] = f"{headers[key]}{copy:06d}"
            out.append(to_wire(AmiFrame(headers)))
            count += 1
        copy += 1
    data = b"".join(out)
    return [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)], count


class _BareProtocol(AMIProtocol):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.frames = 0

    def handle_message(self, message: object) -> None:
        self.frames += 1


def run_panoramisk(chunks: list[bytes]) -> int:
    proto = _BareProtocol()
    proto.connection_made(None)  # sets panoramisk's buffers; no transport is used
    proto.encoding = "utf-8"
    for chunk in chunks:
        proto.data_received(chunk)
    return int(proto.frames)


def run_engine(chunks: list[bytes]) -> int:
    parser = AmiParser()
    tracker = CallTracker()
    events = 0
    for chunk in chunks:
        for frame in parser.feed(chunk):
            event = adapt(frame)
            if event is not None:
                tracker.apply(event, 0.0)
                events += 1
    return events


def run_engine_logged(chunks: list[bytes]) -> int:
    with tempfile.TemporaryDirectory() as scratch:  # a real file, as the engine writes it
        return _logged(chunks, CallLog(Path(scratch) / "calls.jsonl", mask=True,
                                       flush_interval=LOG_FLUSH_S))


def _logged(chunks: list[bytes], log: CallLog) -> int:
    parser = AmiParser()
    tracker = CallTracker()
    events = 0
    for chunk in chunks:
        for frame in parser.feed(chunk):
            log.record_frame(frame.to_json(), 0.0)
            event = adapt(frame)
            if event is not None:
                tracker.apply(event, 0.0)
                events += 1
    log.close()
    return events


def measure(fn: Callable[[list[bytes]], int], chunks: list[bytes],
            repeat: int) -> tuple[int, float]:
    best = float("inf")
    n = 0
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        n = fn(chunks)
        best = min(best, time.process_time() - start)
    return n, best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best is shown")
    args = ap.parse_args()
    chunks, frames = build_stream(args.frames)
    size = sum(len(c) for c in chunks)
    print(f"stream: {frames} AMI frames from real calls (repeated), {size / 1e6:.1f} MB, "
          f"{len(chunks)} chunks of {CHUNK} B; CPU time, best of {args.repeat}")
    base_n, base_t = measure(run_panoramisk, chunks, args.repeat)
    eng_n, eng_t = measure(run_engine, chunks, args.repeat)
    log_n, log_t = measure(run_engine_logged, chunks, args.repeat)
    base_rate, eng_rate, log_rate = base_n / base_t, eng_n / eng_t, log_n / log_t
    print(f"panoramisk bare parse        : {base_n:>7} frames in {base_t:6.3f} s = "
          f"{base_rate:>9,.0f} frames/s")
    print(f"engine parse+adapt+state     : {eng_n:>7} events in {eng_t:6.3f} s = "
          f"{eng_rate:>9,.0f} events/s")
    print(f"engine full path + call log  : {log_n:>7} events in {log_t:6.3f} s = "
          f"{log_rate:>9,.0f} events/s")
    print(f"ratio engine/panoramisk      : {eng_rate / base_rate:.2f} "
          f"(with call log: {log_rate / base_rate:.2f})")
    ok = eng_rate >= 30_000 and eng_rate / base_rate >= 0.5
    print(f"target ≥ 30,000 events/s and ratio ≥ 0.5: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
