"""Speech: the calls' audio forked to the engine over AudioSocket, recognized live by the
Vosk pool; what is heard goes on the hub (:class:`callcenter.ports.Heard`)."""

from __future__ import annotations

import asyncio
from typing import Any

from callcenter.asr.pool import AsrPool
from callcenter.asr.segmenter import AsrResult
from callcenter.asr.transcriber import Transcriber
from callcenter.audiosocket.server import AudioSocketServer
from callcenter.capability import Capability, Context
from callcenter.errors import EngineControlError
from callcenter.ports import TRANSCRIPTION, Heard


def load(context: Context) -> Capability:
    e = context.config().engine
    pool = AsrPool(e.asr, context.paths.resolve(e.asr.model))
    audiosocket = AudioSocketServer(e.asr.audiosocket_host, e.asr.audiosocket_port)
    keep = context.paths.resolve(e.lab.keep_forked_audio) if e.lab.keep_forked_audio else None

    def heard(call_id: str, speaker: str, result: AsrResult) -> None:
        context.publish(Heard(call_id, speaker, result), context.clock())

    transcriber = Transcriber(e.asr, pool, audiosocket, context.send, heard, keep_audio=keep)
    context.parts.provide(transcriber, TRANSCRIPTION)
    context.parts.provide(pool)
    context.parts.provide(audiosocket)
    starting: list[asyncio.Task[Any]] = []

    async def listen() -> None:
        try:
            await audiosocket.start()
        except OSError as exc:
            raise EngineControlError(
                f"cannot listen for AudioSocket on {audiosocket.host}:{audiosocket.port}: "
                f"{exc.strerror or exc}") from None

    def started() -> None:  # calls flow while the models load
        starting.append(context.spawn(pool.start()))

    async def stopping() -> None:  # the models need not finish loading
        for task in starting:
            task.cancel()

    async def close() -> None:
        await audiosocket.stop()
        await pool.close()

    return Capability("speech", listen=listen, started=started, stopping=stopping,
                      close=close)
