# Shared helpers of the CLI tests: each test script is run by CTest as
#   bash tests/cli/test_X.sh NEURODL_EXE FIXTURES_DIR SHARED_DATA_DIR
set -uo pipefail
NEURODL=$1
FIXTURES=$2
DATA=${NEURODL_DATA:-$3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
passes=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { passes=$((passes + 1)); }

# expect_ok DESCRIPTION CMD...: the command must exit 0.
expect_ok() {
  local what=$1; shift
  if "$@" >"$TMP/out" 2>"$TMP/err"; then pass; else fail "$what: exit $? — $(head -c 400 "$TMP/err")"; fi
}

# expect_error DESCRIPTION PATTERN CMD...: exit code 2, exactly one line on stderr matching PATTERN.
expect_error() {
  local what=$1 pattern=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  if [ $rc -ne 2 ]; then fail "$what: exit $rc, expected 2 — $(head -c 400 "$TMP/err")"; return; fi
  if [ "$(wc -l <"$TMP/err")" -ne 1 ]; then fail "$what: stderr is not one line: $(cat "$TMP/err")"; return; fi
  if ! grep -Eq -- "$pattern" "$TMP/err"; then fail "$what: message '$(cat "$TMP/err")' lacks /$pattern/"; return; fi
  pass
}

# expect_no_file DESCRIPTION PATH: nothing (not even a temporary file) was left in PATH's folder.
expect_no_file() {
  if [ -e "$2" ] || ls -a "$(dirname "$2")" | grep -q "^\.$(basename "$2")\.tmp"; then
    fail "$1: $2 or a temporary file was left behind"
  else pass; fi
}

finish() {
  echo "$passes passed, $failures failed"
  [ $failures -eq 0 ]
}
