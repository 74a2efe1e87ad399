from __future__ import annotations

import json

import numpy as np

from callcenter.asr.segmenter import CHUNK_BYTES, Recognizer, Segmenter


def tone(seconds: float, level: int = 4000) -> bytes:
    t = np.arange(int(seconds * 8000)) / 8000
    return (level * np.sin(2 * np.pi * 300 * t)).astype("<i2").tobytes()


def quiet(seconds: float) -> bytes:
    return b"\0\0" * int(seconds * 8000)


class FakeRecognizer:
    """Hears a word per loud chunk; says 'final' by itself only when told to."""

    def __init__(self, endpoint_after_words: int | None = None) -> None:
        self.words: list[str] = []
        self.chunks: list[int] = []
        self.endpoint_after = endpoint_after_words
        self.calls: list[str] = []

    def AcceptWaveform(self, data: bytes) -> int:
        self.chunks.append(len(data))
        samples = np.frombuffer(data, "<i2").astype(float)
        if np.sqrt(np.mean(samples ** 2)) > 1000:
            self.words.append(f"w{len(self.words)}")
        return int(self.endpoint_after is not None and len(self.words) >= self.endpoint_after)

    def _take(self) -> str:
        text, self.words = " ".join(self.words), []
        return json.dumps({"text": text})

    def Result(self) -> str:
        self.calls.append("Result")
        return self._take()

    def FinalResult(self) -> str:
        self.calls.append("FinalResult")
        return self._take()

    def PartialResult(self) -> str:
        return json.dumps({"partial": " ".join(self.words)})


def test_own_silence_timeout_ends_the_utterance() -> None:
    fake = FakeRecognizer()
    segmenter = Segmenter(fake, silence_final_s=0.6)
    results = segmenter.feed(quiet(1.0) + tone(0.5) + quiet(0.5))
    assert [r.final for r in results] == [False] * 5  # partials only, not yet 0.6 s quiet
    results = segmenter.feed(quiet(0.1))
    (final,) = results
    assert final.final and final.text == "w0 w1 w2 w3 w4"
    assert (final.start_s, final.end_s) == (1.0, 1.5)
    assert fake.calls == ["FinalResult"]


def test_vosk_endpoint_calls_result() -> None:
    fake = FakeRecognizer(endpoint_after_words=3)
    results = Segmenter(fake).feed(tone(0.3))
    assert [(r.final, r.text) for r in results] == [(False, "w0"), (False, "w0 w1"),
                                                    (True, "w0 w1 w2")]
    assert fake.calls == ["Result"]


def test_hang_up_mid_sentence_flushes_and_drops_an_odd_byte() -> None:
    fake = FakeRecognizer()
    segmenter = Segmenter(fake)
    segmenter.feed(quiet(0.2) + tone(0.35) + b"\x01")
    (final,) = [r for r in segmenter.finish() if r.final]
    assert final.text == "w0 w1 w2 w3"  # the last 50 ms (a partial chunk) count too
    assert all(n % 2 == 0 for n in fake.chunks)
    assert fake.chunks[:5] == [CHUNK_BYTES] * 5


def test_chunks_are_whole_whatever_the_frame_sizes() -> None:
    fake = FakeRecognizer()
    segmenter = Segmenter(fake)
    audio = tone(1.0)
    for start in range(0, len(audio), 322):
        segmenter.feed(audio[start:start + 322])
    assert fake.chunks == [CHUNK_BYTES] * 10 and segmenter.audio_s == 1.0


def test_worn_recognizer_is_swapped_between_utterances() -> None:
    first, second = FakeRecognizer(), FakeRecognizer()
    seen: list[float] = []

    def renew(recognizer: Recognizer, decoded_s: float) -> Recognizer:
        seen.append(decoded_s)
        return second if decoded_s >= 1.0 else recognizer

    segmenter = Segmenter(first, silence_final_s=0.3, renew=renew)
    segmenter.feed(tone(0.2) + quiet(0.3))  # utterance 1 after 0.5 s: kept
    segmenter.feed(tone(0.4) + quiet(0.3))  # utterance 2 after 1.2 s: swapped
    assert seen == [0.5, 1.2] and segmenter.recognizer is second
    assert segmenter.decoded_by_recognizer_s == 0.0
    segmenter.feed(tone(0.1) + quiet(0.3))
    assert second.calls == ["FinalResult"]


def test_quiet_between_utterances_is_not_decoded_but_onsets_are_kept() -> None:
    fake = FakeRecognizer()
    segmenter = Segmenter(fake, silence_final_s=0.5)
    segmenter.feed(quiet(5.0))
    assert fake.chunks == []  # 5 s of nobody talking cost nothing
    assert segmenter.skipped_samples == 8000 * 5 - 3 * 800
    (*_partials, final) = segmenter.feed(tone(0.3) + quiet(0.5))
    # the 300 ms before the speech went first, then the speech, then the quiet that ended it
    assert len(fake.chunks) == 3 + 3 + 5
    assert (final.start_s, final.end_s) == (5.0, 5.3)
    segmenter.feed(quiet(2.0))
    assert len(fake.chunks) == 11 and segmenter.audio_s == 7.8
    assert segmenter.finish() == []  # nothing was being said at the hang-up
