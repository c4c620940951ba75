#!/usr/bin/env bash
# Coverage-guided fuzzing of one parser (fuzz/README.md): fuzz/run.sh TARGET SECONDS
# TARGET is a harness name (volume4d, geojson, sbs1, cot, signed-note, record-entry, record-export)
# or "all" (each in turn, SECONDS each). Installs afl++ (Debian) and the SharpFuzz instrumenter
# (a dotnet tool, into the work folder) when missing, publishes fuzz/Deconflict.Fuzz, instruments
# deconflict.dll and Deconflict.Core.dll, replays the seed corpus, then runs afl-fuzz for SECONDS.
# Exits 1 when an input crashed a harness, leaving it in fuzz/.work/findings/TARGET/default/crashes
# (replay one with: dotnet fuzz/.work/bin/Deconflict.Fuzz.dll TARGET FILE). Inputs that ran past
# the time limit (afl-fuzz's hangs) are reported but do not fail the run: on a shared machine a
# slow moment is not a finding; look at them with the same replay command.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
targets=(volume4d geojson sbs1 cot signed-note record-entry record-export)

usage() {
    echo "usage: fuzz/run.sh TARGET SECONDS (TARGET: ${targets[*]} or all)" >&2
    exit 2
}

[[ $# -eq 2 && $2 =~ ^[0-9]+$ && $2 -gt 0 ]] || usage
if [[ $1 == all ]]; then
    selected=("${targets[@]}")
else
    [[ " ${targets[*]} " == *" $1 "* ]] || usage
    selected=("$1")
fi
seconds=$2

work=${FUZZ_WORK:-$root/fuzz/.work}
mkdir -p "$work"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# afl-fuzz from Debian's afl++ package.
if ! command -v afl-fuzz >/dev/null; then
    echo "Installing afl++ (apt-get)..."
    if [[ $(id -u) -ne 0 ]]; then
        echo "afl-fuzz is missing and installing it needs root: apt-get install -y afl++" >&2
        exit 2
    fi
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
fi

# The SharpFuzz instrumenter, pinned, in the work folder (no global tool needed).
sharpfuzz=$work/tools/sharpfuzz
if [[ ! -x $sharpfuzz ]]; then
    echo "Installing the SharpFuzz.CommandLine tool 2.3.0..."
    dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$work/tools" >/dev/null
fi

# Publish, then instrument a fresh copy (instrumentation rewrites the assemblies in place, and
# refuses an assembly that is already instrumented). Only the project's own code is
# instrumented: its branches are what afl-fuzz steers by.
echo "Building the harnesses..."
dotnet publish fuzz/Deconflict.Fuzz -c Release -o "$work/publish" --nologo -v quiet 2>&1 | grep -E "error|warn" || true
[[ -f $work/publish/Deconflict.Fuzz.dll ]] || { echo "The fuzzing project did not build." >&2; exit 2; }
rm -rf "$work/bin"
cp -r "$work/publish" "$work/bin"
for dll in deconflict.dll Deconflict.Core.dll; do
    DOTNET_ROLL_FORWARD=Major "$sharpfuzz" "$work/bin/$dll" >/dev/null
done
harness=$work/bin/Deconflict.Fuzz.dll

# afl-fuzz runs `dotnet`, which is not an instrumented binary; the machine's core_pattern and CPU
# governor are not ours to change; 2 shared cores: no CPU pinning; no status screen in logs.
export AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1
# .NET starts slowly on a loaded machine: give the fork server time for its first answer.
export AFL_FORKSRV_INIT_TMOUT=120000
# Stop as soon as there is a crash to report (FUZZ_KEEP_GOING=1 runs the whole time, collecting them).
[[ ${FUZZ_KEEP_GOING:-0} == 1 ]] || export AFL_BENCH_UNTIL_CRASH=1

status=0
for target in "${selected[@]}"; do
    corpus=$root/fuzz/corpus/$target
    dict=$root/fuzz/dict/$target.dict
    out=$work/findings/$target
    echo "== $target: replaying the seed corpus"
    if ! dotnet "$harness" "$target" "$corpus"/* >"$work/$target.replay.log" 2>&1; then
        cat "$work/$target.replay.log" >&2
        echo "FAIL $target: a seed input crashes the harness (above)." >&2
        status=1
        continue
    fi

    echo "== $target: afl-fuzz for $seconds s"
    rm -rf "$out"
    mkdir -p "$work/findings"
    dictionary=()
    [[ -f $dict ]] && dictionary=(-x "$dict")
    # -t: one input may take 5 s (a hang beyond that); -m none: .NET reserves much virtual memory.
    afl-fuzz -i "$corpus" -o "$out" -t 5000 -m none -V "$seconds" "${dictionary[@]}" -- "$(command -v dotnet)" "$harness" "$target" \
        >"$work/$target.afl.log" 2>&1 || {
        tail -n 30 "$work/$target.afl.log" >&2
        echo "FAIL $target: afl-fuzz stopped with an error (log: $work/$target.afl.log)." >&2
        status=1
        continue
    }

    stats=$out/default/fuzzer_stats
    execs=$(awk -F': *' '$1 ~ /^execs_done/ { print $2 }' "$stats" 2>/dev/null || echo "?")
    paths=$(awk -F': *' '$1 ~ /^corpus_count/ { print $2 }' "$stats" 2>/dev/null || echo "?")
    crashes=$(find "$out/default/crashes" -name 'id:*' 2>/dev/null | wc -l)
    hangs=$(find "$out/default/hangs" -name 'id:*' 2>/dev/null | wc -l)
    echo "$target: $execs executions, $paths inputs in the queue, $crashes crashing, $hangs over the time limit"
    if [[ $hangs -gt 0 ]]; then
        echo "note $target: $hangs input(s) ran past 5 s: $out/default/hangs" >&2
    fi

    if [[ $crashes -gt 0 ]]; then
        echo "FAIL $target: $crashes crashing input(s) in $out/default/crashes; the first:" >&2
        first=$(find "$out/default/crashes" -name 'id:*' | sort | head -n 1)
        dotnet "$harness" "$target" "$first" 2>&1 | head -n 20 >&2 || true
        status=1
    fi
done

exit "$status"
