#!/usr/bin/env bash
# `neurodl info` reads every real recording in ../shared/data (skips when the folder is absent).
source "$(dirname "$0")/lib.sh"
if [ ! -d "$DATA" ]; then
  echo "SKIP: real data folder not found ($DATA); set NEURODL_DATA to run this test"
  echo "0 passed, 0 failed"
  exit 0
fi
while IFS= read -r f; do
  case "$f" in
    */lfp/*) extra=(--fs 1000) ;;
    *) extra=() ;;
  esac
  expect_ok "info $f" "$NEURODL" info "${extra[@]}" "$f" --quiet
done < <(find "$DATA" -type f \( -name '*.mat' -o -name '*.nwb' -o -name '*.npy' -o -name '*.nii.gz' \
            -o -path '*/spikefinder/*.csv' -o -path '*/fmri/*.csv' \) | sort)
finish
