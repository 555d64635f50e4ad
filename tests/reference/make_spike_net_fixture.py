"""Writes tests/fixtures/spikes/dff_deep.npy: 600 frames × 3 units of ΔF/F at 30 Hz (float32),
exponential transients (τ 0.6 s, 0.2 ΔF/F per spike) after Poisson spikes at 1 Hz plus white
noise (σ 0.03), for the CLI test of `neurodl deconvolve --method deep` (tests/cli)."""
import pathlib
import numpy as np

rng = np.random.default_rng(4)
fs, T, N = 30.0, 600, 3
spikes = rng.poisson(1.0 / fs, size=(T, N))
decay = np.exp(-1.0 / (0.6 * fs))
c = np.zeros((T, N))
for t in range(T):
    c[t] = (c[t - 1] * decay if t else 0) + 0.2 * spikes[t]
dff = (c + 0.03 * rng.standard_normal((T, N))).astype(np.float32)
out = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "spikes" / "dff_deep.npy"
np.save(out, dff)
print(out, dff.shape)
# The same traces stored units × time, for --units-by-time.
np.save(out.with_name("dff_deep_units_by_time.npy"), np.ascontiguousarray(dff.T))
