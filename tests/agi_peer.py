"""A scripted stand-in for Asterisk's side of a FastAGI connection (unit tests only)."""

from __future__ import annotations

import asyncio

REQUEST = (
    "agi_network: yes\n"
    "agi_network_script: {script}?call=1795.7\n"
    "agi_request: agi://127.0.0.1:4573/{script}?call=1795.7\n"
    "agi_channel: PJSIP/carrier-00000007\n"
    "agi_language: zh\n"
    "agi_uniqueid: 1795.7\n"
    "agi_callerid: 13812345678\n"
    "agi_extension: s\n"
    "agi_arg_1: first\n"
    "\n"
)


class FakeAsterisk:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.commands: list[str] = []

    @classmethod
    async def connect(cls, port: int, script: str | None = None,
                      raw: bytes | None = None) -> FakeAsterisk:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw if raw is not None else REQUEST.format(script=script).encode())
        await writer.drain()
        return cls(reader, writer)

    async def expect_command(self, reply: str = "200 result=1") -> str:
        line = (await asyncio.wait_for(self.reader.readline(), 5)).decode().rstrip("\n")
        self.commands.append(line)
        self.writer.write(reply.encode() + b"\n")
        await self.writer.drain()
        return line

    async def closed_by_server(self) -> bool:
        data = await asyncio.wait_for(self.reader.read(), 5)
        return data == b""

    async def hang_up(self) -> None:
        self.writer.write(b"HANGUP\n")
        await self.writer.drain()
        self.writer.close()
