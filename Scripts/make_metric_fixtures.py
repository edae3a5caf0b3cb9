#!/usr/bin/env python3
"""Reference values for DeepGen's evaluation metrics, computed with numpy/scipy the way the
standard implementations do (pytorch-fid's Fréchet distance with scipy.linalg.sqrtm, the
unbiased polynomial-kernel MMD of KID, the k-NN precision/recall/density/coverage of prdc, the
Inception Score formula). Writes Tests/DeepGenMetricsTests/Fixtures/: the feature sets as
float32 .npy and metrics_reference.json. The tests compare DeepGenMetrics to these to 1e-3.

Usage: python3 Scripts/make_metric_fixtures.py
"""
import json
import os

import numpy as np
from scipy import linalg

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "DeepGenMetricsTests", "Fixtures")


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    # pytorch-fid's calculate_frechet_distance.
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def polynomial_mmd_unbiased(x, y):
    d = x.shape[1]
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    m = x.shape[0]
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                 - 2 * kxy.sum() / (m * m))


def kth(distances, k):
    return np.partition(distances, k, axis=-1)[:, k]


def prdc(real, fake, k):
    # prdc (Naeem et al. 2020): radii are the k-th neighbour distance within each set, self included at 0.
    dist = lambda a, b: np.sqrt(np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T, 0))
    real_radii = kth(dist(real, real), k)
    fake_radii = kth(dist(fake, fake), k)
    rf = dist(real, fake)
    precision = (rf <= real_radii[:, None]).any(axis=0).mean()
    recall = (rf <= fake_radii[None, :]).any(axis=1).mean()
    density = (1 / k) * (rf <= real_radii[:, None]).sum(axis=0).mean()
    coverage = (rf.min(axis=1) <= real_radii).mean()
    return dict(precision=float(precision), recall=float(recall), density=float(density), coverage=float(coverage))


def inception_score(p, splits):
    scores = []
    n = p.shape[0]
    for s in range(splits):
        part = p[s * n // splits:(s + 1) * n // splits]
        marginal = part.mean(axis=0, keepdims=True)
        kl = (part * (np.log(part) - np.log(marginal))).sum(axis=1).mean()
        scores.append(np.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))


def main():
    rng = np.random.default_rng(2017)
    d = 16
    a_factor = rng.normal(size=(d, d))
    a = (rng.normal(size=(600, d)) @ a_factor + rng.normal(size=d)).astype(np.float32)
    # B: shifted, and nearly rank-deficient (two directions with tiny variance), the case where a
    # naive matrix square root loses precision.
    b_factor = rng.normal(size=(d, d))
    b_factor[:2] *= 1e-3
    b = (rng.normal(size=(500, d)) @ b_factor + 0.5 + rng.normal(size=d)).astype(np.float32)
    logits = rng.normal(size=(1000, 10)) * 3
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities = (probabilities / probabilities.sum(1, keepdims=True)).astype(np.float32)

    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    reference = {
        "fid": frechet_distance(a64.mean(0), np.cov(a64, rowvar=False), b64.mean(0), np.cov(b64, rowvar=False)),
        "fid_self": frechet_distance(a64.mean(0), np.cov(a64, rowvar=False), a64.mean(0), np.cov(a64, rowvar=False)),
        "mmd2_unbiased": polynomial_mmd_unbiased(a64[:500], b64),
        "prdc_k3": prdc(a64, b64, 3),
        "inception_score_10": inception_score(probabilities.astype(np.float64), 10),
    }
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "features_a.npy"), a)
    np.save(os.path.join(OUT, "features_b.npy"), b)
    np.save(os.path.join(OUT, "probabilities.npy"), probabilities)
    with open(os.path.join(OUT, "metrics_reference.json"), "w") as f:
        json.dump(reference, f, indent=2, sort_keys=True)
    print(json.dumps(reference, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
