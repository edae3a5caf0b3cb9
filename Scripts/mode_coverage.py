#!/usr/bin/env python3
"""Mode coverage of 2-D GAN samples, the VEEGAN/PacGAN protocol.

Usage: deepgen sample RUN --count 2500 --out samples.npy
       python3 Scripts/mode_coverage.py ring8|grid25 samples.npy

A sample is high quality when it lies within 3 sigma of its nearest mode's mean; a mode is
covered when at least one high-quality sample is nearest to it. Prints modes covered, the share
of high-quality samples and the KL divergence of the high-quality samples' mode histogram from
uniform. (`deepgen eval --metrics modes` is planned to replace this script.)
"""
import math
import sys

import numpy as np

MIXTURES = {
    "ring8": ([(math.cos(2 * math.pi * k / 8), math.sin(2 * math.pi * k / 8)) for k in range(8)], 0.01),
    "grid25": ([(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)], 0.05),
}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in MIXTURES:
        sys.exit(__doc__)
    means, sigma = MIXTURES[sys.argv[1]]
    means = np.array(means, dtype=np.float64)
    x = np.load(sys.argv[2]).astype(np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        sys.exit(f"{sys.argv[2]}: expected an [N, 2] array of points, got shape {x.shape}")
    d = np.linalg.norm(x[:, None, :] - means[None, :, :], axis=2)
    nearest = d.argmin(axis=1)
    good = d[np.arange(len(x)), nearest] <= 3 * sigma
    counts = np.bincount(nearest[good], minlength=len(means))
    covered = int((counts > 0).sum())
    p = counts / max(counts.sum(), 1)
    q = 1 / len(means)
    kl = float(sum(pi * math.log(pi / q) for pi in p if pi > 0)) if counts.sum() else float("inf")
    print(f"{sys.argv[1]}: {covered}/{len(means)} modes covered, "
          f"{100 * good.mean():.1f}% high-quality samples, KL(modes || uniform) {kl:.3f} "
          f"({len(x)} samples)")


if __name__ == "__main__":
    main()
