#!/usr/bin/env python3
"""Random XOR-chunk inputs for differential checks of Hearth's encoder against another
implementation: one chunk per line, "t:valuebits ..." with values as 64-bit patterns in hex.
usage: xor_cases.py COUNT [SEED]"""
import random
import struct
import sys

def bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]

STALE = 0x7FF0000000000002
SPECIAL = [bits(0.0), bits(-0.0), bits(float("inf")), bits(float("-inf")), 0x7FF8000000000001, STALE,
           bits(5e-324), bits(1.7976931348623157e308)]

def chunk(rng):
    n = rng.randint(1, 240)
    t = rng.choice([0, -10**12, 1_700_000_000_000, rng.randint(-2**40, 2**40)])
    step = rng.choice([1, 15, 1000, 15000, 60000])
    v = rng.uniform(-1e6, 1e6)
    out = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.05:
            b = rng.choice(SPECIAL)
        elif kind < 0.10:
            b = rng.getrandbits(64)
        else:
            r = rng.random()
            if r < 0.3:
                pass
            elif r < 0.6:
                v += rng.choice([1, 0.5, 0.01, 1000])
            else:
                v = round(v + rng.uniform(-50, 50), rng.choice([0, 2, 6]))
            b = bits(v)
        out.append(f"{t}:{b:x}")
        j = rng.random()
        if j < 0.7:
            t += step
        elif j < 0.9:
            t += step + rng.randint(-step // 2 - 1, step // 2 + 1)
        else:
            t += rng.choice([1, 2**13, 2**16 + 7, 2**19 - 3, 2**20 + 11, 2**33, rng.randint(1, 2**50)])
    return " ".join(out)

def main():
    count = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    for _ in range(count):
        print(chunk(rng))

if __name__ == "__main__":
    main()
