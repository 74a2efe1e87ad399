"""Call audio as the engine handles it: 8 kHz mono 16-bit PCM (WAV files), and G.711 μ-law,
the codec of the calls (what the far end hears of PCM sent through a call)."""

from __future__ import annotations

import audioop
import wave
from pathlib import Path

SAMPLE_RATE = 8000


def read_pcm(wav_path: Path) -> bytes:
    """The samples of an 8 kHz mono 16-bit WAV file (ValueError for any other format)."""
    with wave.open(str(wav_path), "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (SAMPLE_RATE, 1, 2):
            raise ValueError(f"{wav_path}: need 8 kHz mono 16-bit audio")
        return wav.readframes(wav.getnframes())


def ulaw_encode(pcm: bytes) -> bytes:
    return audioop.lin2ulaw(pcm, 2)


def ulaw_decode(ulaw: bytes) -> bytes:
    return audioop.ulaw2lin(ulaw, 2)


def g711_round_trip(pcm: bytes) -> bytes:
    """What the other end hears of ``pcm`` sent as μ-law."""
    return ulaw_decode(ulaw_encode(pcm))
