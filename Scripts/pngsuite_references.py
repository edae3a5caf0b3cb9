#!/usr/bin/env python3
"""Copies PngSuite into the test fixtures with its expected pixels in a compact binary form.

    python3 Scripts/pngsuite_references.py ../shared/testdata/pngsuite Tests/DeepGenDataTests/Fixtures/pngsuite

The source folder is the suite as the lunapaint/pngsuite collection lays it out: `png/*.png` and
`json/<name>.json`, each a flat [r, g, b, a, ...] array of the decoded pixels (16-bit images also
have `<name>_to8.json`). Each JSON array becomes `reference/<name>.u8` (one byte per value) or,
when a value exceeds 255, `reference/<name>.u16` (little-endian uint16): the same numbers in a
tenth of the space, read by PNGSuiteTests.
"""
import json
import shutil
import struct
import sys
from pathlib import Path

source, target = Path(sys.argv[1]), Path(sys.argv[2])
(target / "png").mkdir(parents=True, exist_ok=True)
(target / "reference").mkdir(parents=True, exist_ok=True)
for png in sorted((source / "png").glob("*.png")):
    shutil.copyfile(png, target / "png" / png.name)
for name in ("LICENSE",):
    shutil.copyfile(source / name, target / name)
for ref in sorted((source / "json").glob("*.json")):
    values = json.loads(ref.read_text())
    if max(values, default=0) > 255:
        (target / "reference" / (ref.stem + ".u16")).write_bytes(struct.pack(f"<{len(values)}H", *values))
    else:
        (target / "reference" / (ref.stem + ".u8")).write_bytes(bytes(values))
print(f"{len(list((target / 'png').iterdir()))} images, {len(list((target / 'reference').iterdir()))} references in {target}")
