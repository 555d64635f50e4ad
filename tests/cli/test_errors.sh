#!/usr/bin/env bash
# Command-line contract: help on every command, exit code 2 with one line naming the file and
# field for every bad input, nothing half-written.
source "$(dirname "$0")/lib.sh"

expect_ok "top-level help" "$NEURODL" --help
for cmd in info simulate demo; do expect_ok "$cmd --help" "$NEURODL" $cmd --help; done
expect_error "unknown subcommand" "frobnicate" "$NEURODL" frobnicate
expect_error "missing file" "$TMP/none.npy: no such file" "$NEURODL" info "$TMP/none.npy"
expect_error "unknown format name" "unknown format.*one of neurodl-h5" \
  "$NEURODL" info --format xyz "$FIXTURES/npy/dtype_f4.npy"
printf 'hello, not a recording\x00\x01' >"$TMP/junk.bin"
expect_error "unrecognised content" "junk.bin: unknown file format" "$NEURODL" info "$TMP/junk.bin"
expect_error "negative --fs" "--fs" "$NEURODL" info --fs -3 "$FIXTURES/npy/dtype_f4.npy"

# Truncated and corrupt inputs of every format: one line naming the file.
for f in npy/dtype_f4.npy mat/plain_v5.mat nwb/ophys.nwb csv/tiny.calcium.csv nifti/float32.nii.gz; do
  [ -f "$FIXTURES/$f" ] || { fail "fixture $f missing"; continue; }
  name=$(basename "$f")
  size=$(stat -c %s "$FIXTURES/$f")
  head -c $((size / 2)) "$FIXTURES/$f" >"$TMP/$name"
  expect_error "truncated $f" "$name" "$NEURODL" info "$TMP/$name"
done

# Simulator: unknown preset, bad sizes, missing output folder — and no output file left.
expect_error "unknown preset" "preset.*nope.*spont" "$NEURODL" simulate --preset nope -o "$TMP/a.h5"
expect_no_file "unknown preset" "$TMP/a.h5"
expect_error "zero units" "units" "$NEURODL" simulate --units 0 -o "$TMP/b.h5"
expect_no_file "zero units" "$TMP/b.h5"
expect_error "missing output folder" "$TMP/missing/c.h5" \
  "$NEURODL" simulate --frames 100 --units 5 -o "$TMP/missing/c.h5"
expect_error "json into a missing folder" "missing" \
  "$NEURODL" simulate --frames 100 --units 5 -o "$TMP/d.h5" --json "$TMP/missing/d.json"
finish
