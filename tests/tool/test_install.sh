#!/bin/sh
# Installs the build tree into a temporary prefix and uses it the way a user
# would: the installed `ward` command, a program built with pkg-config, and a
# CMake project using find_package(ward).
#
#   test_install.sh BUILD_DIR CMAKE CC CONFIG VERSION LIBDIR CONSUMER_DIR
#
# LIBDIR is CMAKE_INSTALL_LIBDIR (relative to the prefix, or absolute);
# CONSUMER_DIR is tests/tool/consumer.

BUILD=$1
CMAKE=$2
CC=$3
CONFIG=$4
VERSION=$5
LIBDIR=$6
CONSUMER=$7

unset WARD_LIBRARY WARD_STATS WARD_VERBOSE

T=$(mktemp -d "${TMPDIR:-/tmp}/ward-install-test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
P=$T/prefix

fail() {
    echo "FAIL [install]: $*" >&2
    [ -s "$T/log" ] && { echo "--- log:" >&2; tail -n 60 "$T/log" >&2; }
    exit 1
}
step() { echo "\$ $*"; "$@" >"$T/log" 2>&1 || fail "exit status $?: $*"; }

case $LIBDIR in
/*) echo "CMAKE_INSTALL_LIBDIR is absolute ($LIBDIR): cannot install into a temporary prefix; skipped"
    exit 77 ;;
esac
L=$P/$LIBDIR

# ---- install -----------------------------------------------------------
step "$CMAKE" --install "$BUILD" --prefix "$P" --config "$CONFIG"
for f in bin/ward include/ward.h share/man/man1/ward.1 \
         "$LIBDIR/libward.so" "$LIBDIR/libward.so.0" "$LIBDIR/libward.so.$VERSION" "$LIBDIR/libward.a" \
         "$LIBDIR/libward-prefixed.so" "$LIBDIR/libward-prefixed.so.0" "$LIBDIR/libward-prefixed.a" \
         "$LIBDIR/pkgconfig/ward.pc" "$LIBDIR/pkgconfig/ward-prefixed.pc" \
         "$LIBDIR/cmake/ward/wardConfig.cmake" "$LIBDIR/cmake/ward/wardConfigVersion.cmake" \
         "$LIBDIR/cmake/ward/wardTargets.cmake"; do
    [ -e "$P/$f" ] || fail "not installed: $f"
done
[ -x "$P/bin/ward" ] || fail "bin/ward is not executable"
# The man page is well-formed (when man is there to say so).
if command -v man >/dev/null 2>&1; then
    warnings=$(man --warnings -l "$P/share/man/man1/ward.1" 2>&1 >/dev/null)
    [ -z "$warnings" ] || fail "man page warnings: $warnings"
fi

# ---- the installed command finds the installed library -------------------
step "$P/bin/ward" --version
grep -qx "ward $VERSION" "$T/log" || fail "installed ward --version"
echo "\$ $P/bin/ward lib"
lib=$("$P/bin/ward" lib) || fail "installed ward lib"
[ "$lib" = "$L/libward.so" ] || fail "installed ward uses '$lib', not $L/libward.so"
echo "\$ $P/bin/ward run -- cat /proc/self/maps"
"$P/bin/ward" run -- cat /proc/self/maps >"$T/maps" || fail "installed ward run"
grep -q "$L/libward.so" "$T/maps" || fail "installed ward run does not preload $L/libward.so"

# ---- pkg-config -------------------------------------------------------
command -v pkg-config >/dev/null 2>&1 ||
    fail "pkg-config is not installed (apt-get install pkg-config)"
PKG_CONFIG_PATH=$L/pkgconfig
export PKG_CONFIG_PATH
step pkg-config --modversion ward
grep -qx "$VERSION" "$T/log" || fail "pkg-config --modversion ward is not $VERSION"
flags=$(pkg-config --cflags --libs ward) || fail "pkg-config --cflags --libs ward"
echo "ward.pc: $flags"
case $flags in *"-I$P/include"*) ;; *) fail "ward.pc Cflags lack -I$P/include" ;; esac
case $flags in *"-L$L"*"-lward"*) ;; *) fail "ward.pc Libs lack -L$L -lward" ;; esac
static_flags=$(pkg-config --static --libs ward) || fail "pkg-config --static --libs ward"
case $static_flags in *-pthread*) ;; *) fail "ward.pc Libs.private lacks -pthread" ;; esac
# shellcheck disable=SC2086 # the flags are meant to be split
step "$CC" -o "$T/app_pc" "$CONSUMER/main.c" $flags -ldl -Wl,-rpath,"$L"
step "$T/app_pc" libward
cat "$T/log"
pflags=$(pkg-config --cflags --libs ward-prefixed) || fail "pkg-config ward-prefixed"
# shellcheck disable=SC2086
step "$CC" -o "$T/app_pc_prefixed" "$CONSUMER/main.c" $pflags -ldl -Wl,-rpath,"$L"
step "$T/app_pc_prefixed" libc
cat "$T/log"

# ---- CMake: find_package(ward) ----------------------------------------
step "$CMAKE" -S "$CONSUMER" -B "$T/consumer" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_PREFIX_PATH="$P" -DWARD_EXPECTED_PREFIX="$P"
step "$CMAKE" --build "$T/consumer"
step "$T/consumer/app" libward
cat "$T/log"
step "$T/consumer/app_static" exe
cat "$T/log"
step "$T/consumer/app_prefixed" libc
cat "$T/log"
echo "ok [install]"
exit 0
