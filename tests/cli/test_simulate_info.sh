#!/usr/bin/env bash
# simulate → info on every preset: the JSON summary carries shapes, rates, kinds and channels.
source "$(dirname "$0")/lib.sh"

for preset in spont images calcium; do
  expect_ok "simulate $preset" "$NEURODL" simulate --preset $preset --seed 3 --units 20 --frames 900 \
    --fs 30 -o "$TMP/$preset.h5" --json "$TMP/$preset.sim.json" --quiet
  expect_ok "info $preset" "$NEURODL" info "$TMP/$preset.h5" --json "$TMP/$preset.json"
  for key in '"format": "neurodl-h5"' '"n_samples": 900' '"n_units": 20' '"sample_rate_hz": 30' \
             '"kind":' '"behavior":' '"truth":' '"stimuli":'; do
    grep -q -- "$key" "$TMP/$preset.json" && pass || fail "$preset summary lacks $key"
  done
done
grep -q '"kind": "spike_counts"' "$TMP/spont.json" && pass || fail "spont kind"
grep -q '"kind": "dff"' "$TMP/calcium.json" && pass || fail "calcium kind"
grep -q '"running_speed"' "$TMP/spont.json" && pass || fail "spont has running speed"
grep -q '"n_images": 0' "$TMP/images.json" && fail "images preset has no images" || pass
# The simulate summary and info agree on what was written.
grep -q '"seed": 3' "$TMP/spont.sim.json" && pass || fail "simulate JSON lacks its options"
expect_ok "demo" "$NEURODL" demo --quiet --json "$TMP/demo.json"
grep -q '"round_trip_exact": true' "$TMP/demo.json" && pass || fail "demo round trip"
finish
