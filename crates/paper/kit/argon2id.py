# argon2id.py: Argon2id version 0x13 (RFC 9106) in pure Python, for
# recover-paper.py (the appendix). No secret, no associated data, 32 bytes.
# Slow: at breakglass's default (512 MiB, 3 passes) several minutes.
import hashlib
import struct
import sys

M32, M64 = 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF
BLOCK = struct.Struct("<128Q")
# Column j of the 8x8 matrix of 16-byte registers: words 2j, 2j+1, 2j+16...
COLUMNS = [[2 * j + 16 * i + k for i in range(8) for k in (0, 1)]
        for j in range(8)]


def blake2b_long(data, out_len):
    """RFC 9106 section 3.3, H': a hash of any length from BLAKE2b."""
    data = struct.pack("<I", out_len) + data
    if out_len <= 64:
        return hashlib.blake2b(data, digest_size=out_len).digest()
    v = hashlib.blake2b(data).digest()
    out = v[:32]
    while out_len - len(out) > 64:
        v = hashlib.blake2b(v).digest()
        out += v[:32]
    rest = out_len - len(out)
    return out + hashlib.blake2b(v, digest_size=rest).digest()


def mix(v, a, b, c, d):
    """RFC 9106 section 3.6 GB on words a, b, c, d of v."""
    for r1, r2 in ((32, 24), (16, 63)):
        v[a] = (v[a] + v[b] + 2 * (v[a] & M32) * (v[b] & M32)) & M64
        v[d] ^= v[a]
        v[d] = (v[d] >> r1 | v[d] << (64 - r1)) & M64
        v[c] = (v[c] + v[d] + 2 * (v[c] & M32) * (v[d] & M32)) & M64
        v[b] ^= v[c]
        v[b] = (v[b] >> r2 | v[b] << (64 - r2)) & M64


def permute(v):
    """The permutation P on 16 words."""
    mix(v, 0, 4, 8, 12)
    mix(v, 1, 5, 9, 13)
    mix(v, 2, 6, 10, 14)
    mix(v, 3, 7, 11, 15)
    mix(v, 0, 5, 10, 15)
    mix(v, 1, 6, 11, 12)
    mix(v, 2, 7, 8, 13)
    mix(v, 3, 4, 9, 14)
    return v


def compress(x, y):
    """G(X, Y) on blocks held as 1024-byte integers (section 3.5)."""
    r = x ^ y
    v = list(BLOCK.unpack(r.to_bytes(1024, "little")))
    for i in range(0, 128, 16):
        v[i:i + 16] = permute(v[i:i + 16])
    for col in COLUMNS:
        for k, w in zip(col, permute([v[k] for k in col])):
            v[k] = w
    return int.from_bytes(BLOCK.pack(*v), "little") ^ r


def argon2id(password, salt, memory_kib, passes, lanes):
    """The 32-byte Argon2id tag (section 3)."""
    h0 = hashlib.blake2b(
        struct.pack("<6I", lanes, 32, memory_kib, passes, 0x13, 2)
        + struct.pack("<I", len(password)) + password
        + struct.pack("<I", len(salt)) + salt + bytes(8)).digest()
    lane_len = memory_kib // (4 * lanes) * 4
    seg_len = lane_len // 4
    mem = [0] * (lanes * lane_len)
    for lane in range(lanes):
        for i in (0, 1):
            block = blake2b_long(h0 + struct.pack("<II", i, lane), 1024)
            mem[lane * lane_len + i] = int.from_bytes(block, "little")
    for t in range(passes):
        sys.stderr.write("Argon2id pass %d of %d\n" % (t + 1, passes))
        for s in range(4):
            for lane in range(lanes):
                segment(mem, t, s, lane, lanes, lane_len, seg_len, passes)
    final = 0
    for lane in range(lanes):
        final ^= mem[lane * lane_len + lane_len - 1]
    return blake2b_long(final.to_bytes(1024, "little"), 32)


def segment(mem, t, s, lane, lanes, lane_len, seg_len, passes):
    """One segment: data-independent addresses in the first half of the
    first pass (section 3.4.1.2), else from the previous block."""
    independent = t == 0 and s < 2
    first = 2 if t == 0 and s == 0 else 0
    counter, addresses = 0, []
    head = struct.pack("<6Q", t, lane, s, len(mem), passes, 2)
    for i in range(first, seg_len):
        if independent and (i % 128 == 0 or not addresses):
            counter += 1
            z = int.from_bytes(head + struct.pack("<Q", counter) + bytes(968),
                            "little")
            a = compress(0, compress(0, z)).to_bytes(1024, "little")
            addresses = BLOCK.unpack(a)
        col = s * seg_len + i
        cur = lane * lane_len + col
        prev = mem[cur - 1 if col > 0 else cur + lane_len - 1]
        rand = addresses[i % 128] if independent else prev & M64
        j1, j2 = rand & M32, rand >> 32
        ref_lane = lane if t == 0 and s == 0 else j2 % lanes
        area = s * seg_len if t == 0 else lane_len - seg_len
        if ref_lane == lane:
            area += i - 1
        elif i == 0:
            area -= 1
        start = 0 if t == 0 or s == 3 else (s + 1) * seg_len
        rel = area - 1 - ((area * ((j1 * j1) >> 32)) >> 32)
        ref = ref_lane * lane_len + (start + rel) % lane_len
        new = compress(prev, mem[ref])
        mem[cur] = new ^ mem[cur] if t > 0 else new
