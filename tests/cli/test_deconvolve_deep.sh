#!/usr/bin/env bash
# `neurodl deconvolve --method deep` with the shipped models on a small .npy (shape and
# orientation kept, model choice in the JSON), its one-line errors, and `neurodl train-spikes`.
source "$(dirname "$0")/lib.sh"
if ! "$NEURODL" train-spikes --help >/dev/null 2>&1 || \
   "$NEURODL" deconvolve --help | grep -q "needs LibTorch"; then
  echo "SKIP: this neurodl was built without LibTorch (no deep spike model)"
  echo "0 passed, 0 failed"
  exit 0
fi
IN=$FIXTURES/spikes/dff_deep.npy
expect_ok "deconvolve deep" "$NEURODL" deconvolve "$IN" --fs 30 --method deep -o "$TMP/deep.npy" \
  --json "$TMP/deep.json" --quiet
"$NEURODL" info "$TMP/deep.npy" --fs 30 >"$TMP/info" 2>&1
grep -q "600 × 3" "$TMP/info" && pass || fail "output shape: $(cat "$TMP/info")"
grep -q '"model_file"' "$TMP/deep.json" && grep -q '"selection": "automatic"' "$TMP/deep.json" \
  && pass || fail "JSON lacks the chosen model: $(head -c 600 "$TMP/deep.json")"
# Units × time in, units × time out.
expect_ok "deconvolve deep --units-by-time" "$NEURODL" deconvolve \
  "$FIXTURES/spikes/dff_deep_units_by_time.npy" --fs 30 --units-by-time --method deep \
  -o "$TMP/deep_ut.npy" --quiet
"$NEURODL" info "$TMP/deep_ut.npy" --fs 30 >"$TMP/info" 2>&1
grep -q "3 × 600" "$TMP/info" && pass || fail "units-by-time output shape: $(cat "$TMP/info")"
# An explicit model file gives the same numbers as the automatic choice of that file.
model=$(sed -n 's/.*"model_file": "\(.*\)".*/\1/p' "$TMP/deep.json")
expect_ok "deconvolve deep --model" "$NEURODL" deconvolve "$IN" --fs 30 --method deep \
  --model "$model" -o "$TMP/deep2.npy" --quiet
cmp -s "$TMP/deep.npy" "$TMP/deep2.npy" && pass || fail "--model FILE differs from the automatic choice"
# Bad model files: one line naming the file, exit 2, nothing written.
expect_error "missing model" "missing\.h5" "$NEURODL" deconvolve "$IN" --fs 30 --method deep \
  --model "$TMP/missing.h5" -o "$TMP/bad.npy"
expect_no_file "missing model" "$TMP/bad.npy"
expect_error "corrupt model" "dtype_f4\.npy" "$NEURODL" deconvolve "$IN" --fs 30 --method deep \
  --model "$FIXTURES/npy/dtype_f4.npy" -o "$TMP/bad.npy"
expect_no_file "corrupt model" "$TMP/bad.npy"
NEURODL_MODEL_DIR=$TMP/empty expect_error "empty model folder" "no spike models" \
  "$NEURODL" deconvolve "$IN" --fs 30 --method deep -o "$TMP/bad.npy"
expect_no_file "empty model folder" "$TMP/bad.npy"
# train-spikes: a missing folder is one line; with the real ground truth, a tiny model.
expect_error "train-spikes missing data" "ground-truth folder not found" "$NEURODL" train-spikes \
  --data "$TMP/nothing" -o "$TMP/m.h5"
expect_no_file "train-spikes missing data" "$TMP/m.h5"
GT=$DATA/groundtruth
if [ -d "$GT" ]; then
  expect_error "train-spikes unknown dataset" "unknown dataset to exclude" "$NEURODL" train-spikes \
    --data "$GT" --exclude DS99 -o "$TMP/m.h5"
  expect_no_file "train-spikes unknown dataset" "$TMP/m.h5"
  others=$(ls "$GT" | cut -d- -f1 | grep -v '^DS23$' | paste -sd,)
  expect_ok "train-spikes tiny" "$NEURODL" train-spikes --data "$GT" --exclude "$others" --fs 15 \
    --noise 2 --windows 2000 --epochs 1 -o "$TMP/m.h5" --json "$TMP/m.json" --quiet
  grep -q '"training_datasets": \[' "$TMP/m.json" && grep -q '"DS23"' "$TMP/m.json" && \
    grep -q '"format_version": 6' "$TMP/m.json" && grep -q '"members": 2' "$TMP/m.json" && \
    grep -q '"inputs": "dff"' "$TMP/m.json" && pass || fail "train-spikes metadata: $(head -c 600 "$TMP/m.json")"
  expect_ok "deconvolve with the trained model" "$NEURODL" deconvolve "$IN" --fs 30 --method deep \
    --model "$TMP/m.h5" -o "$TMP/m.npy" --quiet
  # A model aligned to OASIS reports the delay it applied to every unit.
  expect_ok "train-spikes aligned" "$NEURODL" train-spikes --data "$GT" --exclude "$others" --fs 15 \
    --noise 2 --windows 2000 --epochs 1 --synthetic-copies 1 --align oasis-ar2 -o "$TMP/a.h5" --quiet
  expect_ok "deconvolve aligned" "$NEURODL" deconvolve "$IN" --fs 30 --method deep \
    --model "$TMP/a.h5" -o "$TMP/a.npy" --json "$TMP/a.json" --quiet
  grep -q '"align": "oasis-ar2"' "$TMP/a.json" && grep -q '"align_delay_s": \[' "$TMP/a.json" && pass || \
    fail "aligned deconvolve JSON: $(head -c 600 "$TMP/a.json")"
else
  echo "SKIP (part): no ground truth under $DATA"
fi
finish
