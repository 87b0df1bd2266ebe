#!/usr/bin/env bash
# Builds the libFuzzer target over the triage-rules sources with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs it for a bounded time (default 60 s) from the seed corpus.
# Usage: tests/fuzz/run.sh [SECONDS] [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
out=${2:-$here/build/fuzz}
mkdir -p "$out/corpus"

sources=(normalize deobfuscate urgency_model phrase_index negation rule_pack spelling context pattern engine assessment)
src_files=()
for s in "${sources[@]}"; do src_files+=("$here/triage-rules/$s.cpp"); done
src_files+=("$here/tests/fuzz/rules_fuzz.cpp")

binary=$out/rules_fuzz
stale=0
[ -x "$binary" ] || stale=1
if [ $stale -eq 0 ]; then
  for f in "${src_files[@]}" "$here"/triage-rules/*.hpp "$here"/triage-rules/packs/core.yaml; do
    [ "$f" -nt "$binary" ] && stale=1 && break
  done
fi
if [ $stale -eq 1 ]; then
  echo "==> building the fuzzer with clang (ASan + UBSan)"
  # shellcheck disable=SC2046
  clang++ -std=c++20 -O1 -g -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$here" $(pkg-config --cflags icu-uc icu-i18n yaml-cpp fasttext) \
    "${src_files[@]}" -o "$binary.tmp" \
    $(pkg-config --libs icu-uc icu-i18n yaml-cpp fasttext) -pthread
  mv "$binary.tmp" "$binary"
fi

# Seeds: every message of the labelled corpus, one file each, plus a few hostile shapes.
seeds=$out/seeds
rm -rf "$seeds" && mkdir -p "$seeds"
python3 - "$here/tests/corpus" "$seeds" <<'PY'
import json, os, sys, glob
src, dst = sys.argv[1], sys.argv[2]
n = 0
for path in sorted(glob.glob(os.path.join(src, "*.jsonl"))):
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line:
            continue
        with open(os.path.join(dst, f"seed{n:05d}"), "wb") as f:
            f.write(json.loads(line)["text"].encode("utf-8"))
        n += 1
extra = [b"c h e s t p a i n", b"ch3st p41n $uicide @", b"s.u.i.c.i.d.e", b"a b c d e f g h i j k l m n o p", b"1!1!1!1!a",
         b"chest + tight|pressure|squeez*", b"bleed* wont stop", b"\xe2\x80\x8bch\xd0\xb5st pain", b"\xff\xfe\x00 no",
         b"5 years ago " * 50, b"hace " * 100 + b"anos", b"a|b+c+d", b"*" * 40]
for i, e in enumerate(extra):
    with open(os.path.join(dst, f"extra{i}"), "wb") as f:
        f.write(e)
PY

echo "==> fuzzing for ${seconds}s"
export TRIAGE_SOURCE_DIR=$here
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1
"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=8192 \
  -print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" "$seeds" 2>&1 | grep -v '^ *#[0-9]' | tail -25
