#!/usr/bin/env python3
"""Writes the body of one gRPC GetProfile call, as h2load's -d sends it: the 5-byte gRPC message
prefix (no compression, then the big-endian length) and a serialized c360.v1.GetProfileRequest
whose only field is customer_id (field 1, a length-delimited string).

Usage: make-getprofile-body.py CUSTOMER_ID OUT_FILE"""
import struct
import sys


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def main() -> None:
    customer_id, out = sys.argv[1], sys.argv[2]
    encoded = customer_id.encode()
    message = b"\x0a" + varint(len(encoded)) + encoded
    with open(out, "wb") as body:
        body.write(b"\x00" + struct.pack(">I", len(message)) + message)


if __name__ == "__main__":
    main()
