#!/usr/bin/env bash
# `neurodl calibrate-spikes` and `deconvolve --method oasis-calibrated`: a calibration fitted on
# simulated ground truth (and on Spikefinder set 5 when the real data are present) is applied by
# deconvolve with the score the report promised; every bad input is one line, exit 2, nothing
# written.
source "$(dirname "$0")/lib.sh"
SIM=$TMP/sim.h5
expect_ok "simulate calcium" "$NEURODL" simulate --preset calcium --units 6 --frames 3000 --fs 30 -o "$SIM" --quiet
expect_ok "calibrate-spikes" "$NEURODL" calibrate-spikes "$SIM" -o "$TMP/cal.json" --json "$TMP/rep.json"
grep -q "leave-one-cell-out" "$TMP/out" && pass || fail "summary line: $(cat "$TMP/out")"
for key in '"format": "neurodl-spike-calibration"' '"taps"' '"report"' '"nested_correlation"'; do
  grep -q "$key" "$TMP/cal.json" && pass || fail "calibration file lacks $key"
done
grep -q '"n_cells": 6' "$TMP/rep.json" && pass || fail "report: $(head -c 300 "$TMP/rep.json")"
expect_ok "deconvolve oasis-calibrated" "$NEURODL" deconvolve "$SIM" --method oasis-calibrated \
  --model "$TMP/cal.json" -o "$TMP/out.npy" --json "$TMP/out.json" --quiet
grep -q '"calibration"' "$TMP/out.json" && pass || fail "deconvolve JSON lacks method_details.calibration"
expect_ok "score-spikes" "$NEURODL" score-spikes --truth "$SIM" --pred "$TMP/out.npy" --json "$TMP/score.json" --quiet
# The applied calibration scores what the report says it scores on its own traces.
# A top-level number of a JSON file as write_json indents it (two spaces).
key() { sed -n "s/^  \"$1\": \([-0-9.e]*\).*/\1/p" "$2"; }
awk -v a="$(key in_sample_correlation "$TMP/rep.json")" -v b="$(key mean_correlation "$TMP/score.json")" \
  'BEGIN { d = a - b; exit !(a != "" && d < 1e-3 && d > -1e-3) }' && pass \
  || fail "in-sample score $(key in_sample_correlation "$TMP/rep.json") differs from score-spikes $(key mean_correlation "$TMP/score.json")"
# Bad inputs.
"$NEURODL" deconvolve "$SIM" -o "$TMP/plain.npy" --quiet
expect_error "no truth" "no true spike counts" "$NEURODL" calibrate-spikes "$TMP/plain.npy" --fs 30 -o "$TMP/bad.json"
expect_no_file "no truth" "$TMP/bad.json"
expect_error "--truth with two inputs" "--truth goes with a single input" "$NEURODL" calibrate-spikes "$SIM" "$SIM" \
  --truth "$TMP/plain.npy" -o "$TMP/bad.json"
expect_no_file "--truth with two inputs" "$TMP/bad.json"
expect_error "truth of another shape" "differ in shape" "$NEURODL" calibrate-spikes "$TMP/plain.npy" --fs 30 \
  --truth "$FIXTURES/spikes/dff_deep.npy" -o "$TMP/bad.json"
expect_no_file "truth of another shape" "$TMP/bad.json"
expect_error "bad AR order" "ar-orders" "$NEURODL" calibrate-spikes "$SIM" --ar-orders 3 -o "$TMP/bad.json"
expect_error "oasis-calibrated without --model" "needs a calibration file" "$NEURODL" deconvolve "$SIM" \
  --method oasis-calibrated -o "$TMP/bad.npy"
expect_no_file "oasis-calibrated without --model" "$TMP/bad.npy"
expect_error "OASIS flag with a calibration" "tau-decay-s" "$NEURODL" deconvolve "$SIM" --method oasis-calibrated \
  --model "$TMP/cal.json" --tau-decay-s 1 -o "$TMP/bad.npy"
expect_no_file "OASIS flag with a calibration" "$TMP/bad.npy"
expect_error "--model with oasis-ar2" "--model applies only" "$NEURODL" deconvolve "$SIM" --model "$TMP/cal.json" \
  -o "$TMP/bad.npy"
printf '{"format": "neurodl-spike-calibration", "version": 1, "ar_order": 1, "oasis": {}, "filter": {"step_s": 0.01, "taps": [1, 2], "offset_hz": 0}}' >"$TMP/even.json"
expect_error "calibration with even taps" "even\.json.*filter\.taps" "$NEURODL" deconvolve "$SIM" \
  --method oasis-calibrated --model "$TMP/even.json" -o "$TMP/bad.npy"
expect_no_file "calibration with even taps" "$TMP/bad.npy"
expect_error "not a calibration" "plain\.npy.*not valid JSON" "$NEURODL" deconvolve "$SIM" \
  --method oasis-calibrated --model "$TMP/plain.npy" -o "$TMP/bad.npy"
expect_error "missing calibration" "missing\.json" "$NEURODL" deconvolve "$SIM" \
  --method oasis-calibrated --model "$TMP/missing.json" -o "$TMP/bad.npy"
# Real data: Spikefinder set 5 (its spikes file beside it), as in docs/spikes.md.
SF5=$DATA/spikefinder/5.train.calcium.csv
if [ -f "$SF5" ]; then
  expect_ok "calibrate set 5" "$NEURODL" calibrate-spikes "$SF5" -o "$TMP/cal5.json" --json "$TMP/rep5.json" --quiet
  cv=$(key cv_correlation "$TMP/rep5.json") ins=$(key in_sample_correlation "$TMP/rep5.json")
  plain=$(key default_correlation "$TMP/rep5.json")
  grep -q '"n_cells": 9' "$TMP/rep5.json" && awk -v cv="$cv" -v ins="$ins" -v p="$plain" \
    'BEGIN { exit !(cv > 0.45 && ins > 0.46 && cv > p + 0.05) }' && pass \
    || fail "set 5 calibration below what docs/spikes.md reports: cv $cv, in-sample $ins, uncalibrated $plain"
else
  echo "SKIP: $SF5 absent"
fi
finish
