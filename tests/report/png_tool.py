#!/usr/bin/env python3
"""Reads a PNG with nothing but zlib, for the screenshot test.

  png_tool.py stats FILE            -> "width height distinct_colours non_white_fraction"
  png_tool.py crop FILE OUT Y0 Y1   -> writes rows Y0..Y1 of FILE to OUT (to look at a part)

Handles 8-bit greyscale, RGB and RGBA, non-interlaced: what Chromium writes.
"""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("%s: not a PNG" % path)
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise SystemExit("%s: unsupported PNG (depth %d, colour type %d)" % (path, depth, colour))
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, previous, pos = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[pos], bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def stats(path):
    width, height, channels, rows = read_png(path)
    colours, non_white, total = set(), 0, 0
    for y in range(0, height, 2):  # every other row and column: plenty, and fast
        row = rows[y]
        for x in range(0, width, 2):
            pixel = row[x * channels:x * channels + min(channels, 3)]
            colours.add(pixel)
            total += 1
            if min(pixel) < 235:
                non_white += 1
    print(width, height, len(colours), "%.4f" % (non_white / max(total, 1)))


def crop(path, out, y0, y1):
    width, height, channels, rows = read_png(path)
    part = rows[max(0, y0):min(height, y1)]
    raw = b"".join(b"\x00" + r for r in part)
    colour = {1: 0, 3: 2, 4: 6}[channels]

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    with open(out, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, len(part), 8, colour, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "stats":
        stats(sys.argv[2])
    elif len(sys.argv) == 6 and sys.argv[1] == "crop":
        crop(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        raise SystemExit(__doc__)
