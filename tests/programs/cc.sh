#!/usr/bin/env bash
# cc.sh LIBWARD — gcc under LD_PRELOAD=libward.so compiles a large generated C
# file to the same object file.
#
# The file has 20000 functions (arithmetic, loops, switch statements, string
# literals, structs) and a table of pointers to them; gcc -O0 -g compiles it
# with the system allocator and again with ward preloaded into every process
# of the compiler (driver, cc1, as). A second file of 2000 such functions is
# compiled with -O2 (the optimiser's allocations). Every run must exit 0 and
# the object files must be identical byte for byte (their `nm` output is
# compared first, to make a difference readable). The programs built from the
# ward objects are then linked (under ward) and run.
. "$(dirname "$0")/common.sh" "$@"

CC=${CC_FOR_TEST:-gcc}
command -v "$CC" >/dev/null || { echo "$CC not found: skipped"; exit 77; }

cd "$WORK"
# gen N FILE: a C file of N functions
gen() {
    local N=$1
    {
    echo '#include <stdio.h>'
    echo '#include <string.h>'
    echo 'struct pt { int x, y; long z; const char *name; };'
    for ((i = 0; i < N; i++)); do
        case $((i % 4)) in
        0) echo "int f$i(int a) { int s = 0; for (int k = 0; k < a % 17; k++) s += k * $i ^ (s >> 3); return s + $i; }" ;;
        1) echo "int f$i(int a) { switch (a & 7) { case 0: return a * $i; case 1: return a + $i; case 2: return a - $i; case 3: return (int)strlen(\"str$i\") + a; default: return a ^ $i; } }" ;;
        2) echo "int f$i(int a) { struct pt p = { a, $i, (long)a * $i, \"pt$i\" }; return p.x + p.y + (int)(p.z % 1000) + (int)strlen(p.name); }" ;;
        3) echo "int f$i(int a) { double d = a * 0.5 + $i; int r = (int)(d * d) % 9973; return r < 0 ? -r : r; }" ;;
        esac
    done
    echo "typedef int (*fn)(int);"
    echo "static const fn table[$N] = {"
    for ((i = 0; i < N; i++)); do echo "f$i,"; done
    echo "};"
    echo 'int main(void) { long s = 0; for (int i = 0; i < '$N'; i++) s += table[i](i); printf("%ld\n", s); return 0; }'
    } >"$2"
}
gen 20000 big.c
gen 2000 opt.c
echo "generated big.c: $(wc -l <big.c) lines"

check_preloaded cat /proc/self/maps

# compile FLAGS SRC: object files with the system allocator and under ward,
# which must be identical
compile() {
    local flags=$1 src=$2 base=${2%.c} rc=0
    "$CC" $flags -c "$src" -o "$base.sys.o" 2>"$base.sys.err" || rc=$?
    [ $rc -eq 0 ] || { cat "$base.sys.err" >&2; fail "gcc $flags $src failed ($rc) with the system allocator"; }
    LD_PRELOAD="$LIBWARD" "$CC" $flags -c "$src" -o "$base.ward.o" 2>"$base.ward.err" || rc=$?
    [ $rc -eq 0 ] || { tail -50 "$base.ward.err" >&2; fail "gcc $flags $src failed ($rc) under ward"; }
    nm "$base.sys.o" >"$base.nm.sys"
    nm "$base.ward.o" >"$base.nm.ward"
    if ! cmp -s "$base.nm.sys" "$base.nm.ward"; then
        diff "$base.nm.sys" "$base.nm.ward" | head -20 >&2 || true
        fail "gcc $flags $src: the symbols of the object file differ under ward"
    fi
    cmp "$base.sys.o" "$base.ward.o" || fail "gcc $flags $src: the object file differs under ward"
    echo "gcc $flags $src: identical object files ($(wc -c <"$base.ward.o") bytes, $(wc -l <"$base.nm.ward") symbols)"
}
compile "-O0 -g" big.c
compile "-O2" opt.c

# link and run what the ward-preloaded compiler made
for base in big opt; do
    LD_PRELOAD="$LIBWARD" "$CC" "$base.ward.o" -o "$base.ward"
    "$CC" "$base.sys.o" -o "$base.sys"
    "./$base.sys" >"$base.run.sys"
    "./$base.ward" >"$base.run.ward"
    cmp -s "$base.run.sys" "$base.run.ward" || fail "$base: the program compiled under ward prints something else"
done
echo "cc: ok"
