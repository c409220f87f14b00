#!/usr/bin/env bash
# Memory and UB checks for the native code. Exits non-zero on any finding, compile warning or
# test failure.
#   1. native/test/core-test.cc (the napi-free core: vectors + random inputs against simple
#      references) built with -fsanitize=address,undefined and -Werror, then run;
#   2. the same driver, plain -O2 -g, under valgrind memcheck (errors and leaks fail);
#   3. the addon itself built with -fsanitize=address,undefined into build/native-sanitize/addon
#      and the tests that take their binding from test/helpers/load-binding.ts run against it
#      with libasan/libubsan preloaded into node: native-binding.test.ts (vectors, junk-argument
#      fuzz, getters that detach buffers mid-batch), batch-aliasing.test.ts (out over an input)
#      and shared-offsets-race.test.ts (a Worker rewriting shared offsets mid-call).
#
#   scripts/native-sanitize.sh                  # g++ (CXX=clang++ for the driver with clang)
#   ITERATIONS=20000 SEED=7 scripts/native-sanitize.sh
#   SKIP_VALGRIND=1 / SKIP_ADDON=1              # leave out step 2 / step 3
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/build/native-sanitize"
cxx="${CXX:-g++}"
iterations="${ITERATIONS:-3000}"
# valgrind runs ~50x slower: fewer random rounds, the same vectors.
valgrind_iterations="${VALGRIND_ITERATIONS:-400}"
seed="${SEED:-$(date +%s)}"
sanitize=(-fsanitize=address,undefined -fno-sanitize-recover=all)
mkdir -p "$out"

sources=("$root/native/test/core-test.cc" "$root"/native/core/*.cc)
warnings=(-std=c++17 -Wall -Wextra -Werror -fno-exceptions)

echo "== 1. core driver, ASan+UBSan ($cxx, iterations=$iterations seed=$seed)"
"$cxx" "${warnings[@]}" -O1 -g -fno-omit-frame-pointer "${sanitize[@]}" "${sources[@]}" -o "$out/core-test-asan"
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  "$out/core-test-asan" "$iterations" "$seed"

if [[ "${SKIP_VALGRIND:-}" == "1" ]]; then
  echo "== 2. valgrind skipped (SKIP_VALGRIND=1)"
elif ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind is not installed (SKIP_VALGRIND=1 leaves this step out)" >&2
  exit 1
else
  echo "== 2. core driver, valgrind memcheck (iterations=$valgrind_iterations seed=$seed)"
  "$cxx" "${warnings[@]}" -O2 -g "${sources[@]}" -o "$out/core-test"
  valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all \
    --track-origins=yes --quiet "$out/core-test" "$valgrind_iterations" "$seed"
fi

if [[ "${SKIP_ADDON:-}" == "1" ]]; then
  echo "== 3. addon under ASan skipped (SKIP_ADDON=1)"
else
  echo "== 3. addon, ASan+UBSan: native-binding, batch-aliasing, shared-offsets-race tests"
  # A copy, so build/Release (what everyone else loads) is never a sanitizer build. npm runs
  # node-gyp with its nodedir config (a bare node-gyp would try to download headers).
  addon="$out/addon"
  rm -rf "$addon"
  mkdir -p "$addon"
  cp -R "$root/binding.gyp" "$root/native" "$addon/"
  # binding.gyp finds node-addon-api's headers through require() from the build directory.
  ln -s "$root/node_modules" "$addon/node_modules"
  printf '{"name":"ringcache-sanitize","private":true,"scripts":{"build":"node-gyp rebuild"}}\n' >"$addon/package.json"
  # gyp's Makefile appends CXXFLAGS/LDFLAGS after binding.gyp's own flags, so -O1 wins.
  CXXFLAGS="${sanitize[*]} -O1 -g -fno-omit-frame-pointer" LDFLAGS="${sanitize[*]}" \
    npm run --silent --prefix "$addon" build >"$out/addon-build.log" 2>&1 ||
    { cat "$out/addon-build.log" >&2; exit 1; }
  if ! ldd "$addon/build/Release/ringcache.node" | grep -q libasan; then
    echo "the addon in $addon was not linked with ASan (CXXFLAGS/LDFLAGS not applied)" >&2
    exit 1
  fi
  preload="$(g++ -print-file-name=libasan.so):$(g++ -print-file-name=libubsan.so)"
  # V8 keeps memory alive to the end on purpose: leak reports would be noise here. Node
  # installs its own SIGSEGV handler, which would swallow ASan's report of a wild read: keep
  # ASan's (allow_user_segv_handler=0:handle_segv=1).
  (cd "$root" && LD_PRELOAD="$preload" RINGCACHE_NATIVE_DIR="$addon" \
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:allow_user_segv_handler=0:handle_segv=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    npx vitest run test/unit/native-binding.test.ts test/unit/batch-aliasing.test.ts \
      test/unit/shared-offsets-race.test.ts --project native --pool=forks)
fi
echo "== native-sanitize: clean"
