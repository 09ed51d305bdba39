#!/usr/bin/env python3
"""Write a gzip-bomb support bundle: a valid bundle root (version.yaml, one pod list) plus one
member of --gib GiB of zeros, as multi-member gzip (one compressed chunk repeated), so a ~10 MB
file inflates to ~10 GiB. For BENCHMARKS.md (peak RSS of analyze/serve on hostile input).

    gen_bomb.py --out /tmp/bomb.tar.gz --gib 10 [--member cluster-resources/pods/bomb.json]

Standard library only.
"""

import argparse
import gzip
import io
import tarfile

CHUNK = 64 << 20


def member_bytes(name, data):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = 1_750_000_000
        tar.addfile(info, io.BytesIO(data))
    # Strip the end-of-archive blocks tarfile appends: more members follow.
    raw = buf.getvalue()
    return raw[: 512 + ((len(data) + 511) // 512) * 512]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--gib", type=int, default=10)
    ap.add_argument("--member", default="cluster-resources/pods/bomb.json")
    args = ap.parse_args()
    size = args.gib << 30
    pods = b'{"kind":"PodList","items":[{"metadata":{"name":"p","namespace":"openebs"}}]}'
    head = member_bytes("bomb/version.yaml", b"kind: SupportBundle\n")
    head += member_bytes("bomb/cluster-resources/pods/openebs.json", pods)
    header = tarfile.TarInfo("bomb/" + args.member)
    header.size = size
    header.mtime = 1_750_000_000
    head += header.tobuf(format=tarfile.GNU_FORMAT)
    zeros = gzip.compress(b"\0" * CHUNK, compresslevel=9)
    with open(args.out, "wb") as out:
        out.write(gzip.compress(head))
        for _ in range(size // CHUNK):
            out.write(zeros)
        out.write(gzip.compress(b"\0" * (size % CHUNK) + b"\0" * 1024))


if __name__ == "__main__":
    main()
