"""A caller's voice for sipp: a WAV (8 kHz mono 16-bit) turned into a pcap of G.711 μ-law
RTP packets (20 ms each) that sipp's ``play_pcap_audio`` sends into the call, and the same
audio after the G.711 round trip (what Asterisk decodes), for reference decodes."""

from __future__ import annotations

import struct
from pathlib import Path

from callcenter.audio import ulaw_encode

FRAME_SAMPLES = 160  # 20 ms
PT_PCMU = 0


def _ip_checksum(header: bytes) -> int:
    total: int = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def write_rtp_pcap(pcm: bytes, target: Path, *, src_port: int = 40000,
                   dst_port: int = 10000, ssrc: int = 0x12345678) -> int:
    """Write ``pcm`` as a μ-law RTP pcap; returns the number of packets."""
    ulaw = ulaw_encode(pcm)
    ulaw += b"\xff" * (-len(ulaw) % FRAME_SAMPLES)  # μ-law silence pads the last frame
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    count = 0
    for count, offset in enumerate(range(0, len(ulaw), FRAME_SAMPLES)):
        rtp = struct.pack("!BBHII", 0x80, (0x80 if count == 0 else 0) | PT_PCMU,
                          (1000 + count) & 0xFFFF, (count * FRAME_SAMPLES) & 0xFFFFFFFF,
                          ssrc) + ulaw[offset:offset + FRAME_SAMPLES]
        udp = struct.pack("!HHHH", src_port, dst_port, 8 + len(rtp), 0) + rtp
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), count & 0xFFFF,
                                   0, 64, 17, 0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])))
        ip[10:12] = struct.pack("!H", _ip_checksum(bytes(ip)))
        frame = b"\x00" * 6 + b"\x00" * 6 + b"\x08\x00" + bytes(ip) + udp
        micros = count * 20_000
        out += struct.pack("<IIII", micros // 1_000_000, micros % 1_000_000, len(frame),
                           len(frame)) + frame
    target.write_bytes(bytes(out))
    return count + 1
