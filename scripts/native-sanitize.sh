#!/usr/bin/env bash
# Builds the napi-free core's test driver (native/test/core-test.cc) twice and runs it:
#   1. -fsanitize=address,undefined (any report aborts the run), -Werror;
#   2. a plain -O2 -g build under valgrind memcheck (errors and leaks are failures).
# Exits non-zero on any finding, compile warning or test failure.
#
#   scripts/native-sanitize.sh                 # g++ (CXX=clang++ for clang)
#   ITERATIONS=20000 SEED=7 scripts/native-sanitize.sh
#   SKIP_VALGRIND=1 scripts/native-sanitize.sh # where valgrind is not installed
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/build/native-sanitize"
cxx="${CXX:-g++}"
iterations="${ITERATIONS:-3000}"
# valgrind runs ~50x slower: fewer random rounds, the same vectors.
valgrind_iterations="${VALGRIND_ITERATIONS:-400}"
seed="${SEED:-$(date +%s)}"
mkdir -p "$out"

sources=("$root/native/test/core-test.cc" "$root"/native/core/*.cc)
warnings=(-std=c++17 -Wall -Wextra -Werror -fno-exceptions)

echo "== ASan+UBSan build ($cxx)"
"$cxx" "${warnings[@]}" -O1 -g -fno-omit-frame-pointer \
  -fsanitize=address,undefined -fno-sanitize-recover=all \
  "${sources[@]}" -o "$out/core-test-asan"
echo "== ASan+UBSan run (iterations=$iterations seed=$seed)"
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  "$out/core-test-asan" "$iterations" "$seed"

if [[ "${SKIP_VALGRIND:-}" == "1" ]]; then
  echo "== valgrind skipped (SKIP_VALGRIND=1)"
  exit 0
fi
if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind is not installed (set SKIP_VALGRIND=1 to run the sanitizer pass alone)" >&2
  exit 1
fi
echo "== valgrind build"
"$cxx" "${warnings[@]}" -O2 -g "${sources[@]}" -o "$out/core-test"
echo "== valgrind memcheck run (iterations=$valgrind_iterations seed=$seed)"
valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all \
  --track-origins=yes --quiet "$out/core-test" "$valgrind_iterations" "$seed"
echo "== native-sanitize: clean"
