#!/usr/bin/env python3
"""Compares the tensors of matching run folders' latest checkpoints under two folders
(written by Scripts/family_checkpoints.sh): prints each run as identical or lists what differs."""
import sys
from pathlib import Path
from safetensors.numpy import load_file

a_root, b_root = Path(sys.argv[1]), Path(sys.argv[2])
failed = False
for run in sorted(p for p in a_root.iterdir() if (p / "checkpoints").is_dir()):
    a_file = run / "checkpoints" / "latest.safetensors"
    b_file = b_root / run.name / "checkpoints" / "latest.safetensors"
    if not b_file.exists():
        print(f"{run.name}: missing in {b_root}"); failed = True; continue
    a, b = load_file(str(a_file)), load_file(str(b_file))
    problems = [f"only in one: {sorted(set(a) ^ set(b))[:5]}"] if set(a) != set(b) else []
    problems += [k for k in sorted(set(a) & set(b)) if a[k].shape != b[k].shape or a[k].tobytes() != b[k].tobytes()][:5]
    print(f"{run.name}: {len(a)} tensors " + ("identical" if not problems else f"DIFFER: {problems}"))
    failed |= bool(problems)
if not any((p / "checkpoints").is_dir() for p in a_root.iterdir()):
    print(f"no run folders (with checkpoints/) under {a_root}: give the folders that hold the runs"); failed = True
sys.exit(1 if failed else 0)
