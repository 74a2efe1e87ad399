"""Decode a recording the way the engine decodes a live stream (same segmentation, same
warm-up), in this process: the reference the tests compare live transcripts with.

    python -m callcenter.asr.offline MODEL_DIR AUDIO.wav [--g711] [--fresh]

prints one JSON line per final utterance. Run it in a fresh process: Vosk is not
bit-repeatable across decodes within one process.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from callcenter.asr.model import check_model
from callcenter.asr.pool import WARM_UP_S, warm_up_audio
from callcenter.asr.segmenter import SAMPLE_RATE, AsrResult, Segmenter
from callcenter.audio import g711_round_trip, read_pcm


def decode(model_dir: Path, pcm: bytes, *, silence_final_s: float = 0.6,
           warm: bool = True, frame_bytes: int = 320) -> list[AsrResult]:
    import vosk

    vosk.SetLogLevel(-2)
    recognizer = vosk.KaldiRecognizer(vosk.Model(str(model_dir)), SAMPLE_RATE)
    if warm and not check_model(model_dir).static_graph:  # as the pool warms recognizers
        recognizer.AcceptWaveform(warm_up_audio(WARM_UP_S))
        recognizer.FinalResult()
    segmenter = Segmenter(recognizer, silence_final_s=silence_final_s)
    results: list[AsrResult] = []
    for offset in range(0, len(pcm), frame_bytes):
        results += segmenter.feed(pcm[offset:offset + frame_bytes])
    results += segmenter.finish()
    return [r for r in results if r.final]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", type=Path)
    parser.add_argument("audio", type=Path, help="8 kHz mono 16-bit WAV")
    parser.add_argument("--g711", action="store_true", help="through μ-law first, as a call")
    parser.add_argument("--fresh", action="store_true", help="no warm-up")
    parser.add_argument("--silence", type=float, default=0.6)
    args = parser.parse_args(argv)
    pcm = read_pcm(args.audio)
    if args.g711:
        pcm = g711_round_trip(pcm)
    for result in decode(args.model, pcm, silence_final_s=args.silence, warm=not args.fresh):
        print(json.dumps({"text": result.text, "start_s": result.start_s,
                          "end_s": result.end_s}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
