#!/bin/sh
# shellcheck disable=SC2016 # single quotes: expanded by the child shell, on purpose
# Tests of the `ward` command, one case per CTest test (tests/tool/CMakeLists.txt).
#
#   test_cmd.sh CASE WARD_EXE LIBWARD VERSION HEADER INSTALL_LIBDIR ALLOC_EXE
#
# WARD_EXE is build/ward, LIBWARD the libward.so it should find beside itself,
# VERSION the project version, HEADER include/ward.h, INSTALL_LIBDIR the
# absolute directory the command was configured to install into, ALLOC_EXE
# the helper program alloc_exit.c.
# Prints what it checks; exits 0 on success, 1 on the first failure.

case_name=$1
WARD=$2
LIB=$3
VERSION=$4
HEADER=$5
INSTALL_LIBDIR=$6
ALLOC=$7

# The tests decide what the command sees.
unset WARD_LIBRARY WARD_STATS WARD_VERBOSE

T=$(mktemp -d "${TMPDIR:-/tmp}/ward-tool-test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
T=$(cd "$T" && pwd -P) # ward reports paths through /proc/self/exe: no symlinks

fail() {
    echo "FAIL [$case_name]: $*" >&2
    echo "--- exit status: $rc" >&2
    echo "--- stdout:" >&2
    cat "$T/out" >&2 2>/dev/null
    echo "--- stderr:" >&2
    cat "$T/err" >&2 2>/dev/null
    exit 1
}

# run CMD...: runs CMD with stdin from /dev/null; sets $rc, $T/out, $T/err.
run() {
    echo "\$ $*"
    "$@" </dev/null >"$T/out" 2>"$T/err"
    rc=$?
}

expect_rc() { [ "$rc" -eq "$1" ] || fail "expected exit status $1, got $rc"; }
out_has() { grep -q -e "$1" "$T/out" || fail "stdout lacks '$1'"; }
err_has() { grep -q -i -e "$1" "$T/err" || fail "stderr lacks '$1'"; }
out_is() { [ "$(cat "$T/out")" = "$1" ] || fail "stdout is not '$1'"; }
err_empty() { [ ! -s "$T/err" ] || fail "stderr is not empty"; }

libdir=$(cd "$(dirname "$LIB")" && pwd -P)

case $case_name in
version)
    run "$WARD" --version
    expect_rc 0; out_is "ward $VERSION"; err_empty
    run "$WARD" -V
    expect_rc 0; out_is "ward $VERSION"
    run "$WARD" version
    expect_rc 0; out_is "ward $VERSION"
    # The header's version and CMake's project version must agree.
    grep -q "^#define WARD_VERSION_STRING \"$VERSION\"" "$HEADER" ||
        fail "$HEADER: WARD_VERSION_STRING is not \"$VERSION\""
    ;;

help)
    for h in --help -h help; do
        run "$WARD" $h
        expect_rc 0; err_empty
        for word in 'ward run' '--stats' '--mode' 'fast' 'hardened' 'debug' 'ward lib' \
                    '--version' 'WARD_PURGE_DELAY_MS' 'WARD_STATS' 'WARD_VERBOSE' 'WARD_LIBRARY' \
                    '128+N' '127'; do
            out_has "$word"
        done
    done
    run "$WARD" run --help
    expect_rc 0; out_has 'WARD_STATS'
    # Every WARD_* variable the library reads is in --help and in the man page.
    src=$(dirname "$HEADER")/../src
    man=$(dirname "$HEADER")/../docs/ward.1
    vars=$(grep -rhoE 'getenv\("WARD_[A-Z0-9_]+"\)' "$src" | sed 's/getenv("//; s/")//' | sort -u)
    [ -n "$vars" ] || fail "found no getenv(\"WARD_...\") in $src"
    run "$WARD" --help
    for v in $vars; do
        out_has "$v"
        grep -q "$v" "$man" || fail "docs/ward.1 does not document $v"
    done
    # help to a full device is an error, not a silent success
    if [ -w /dev/full ]; then
        "$WARD" --help >/dev/full 2>/dev/null
        rc=$?
        [ "$rc" -ne 0 ] || fail "--help >/dev/full exited 0"
    fi
    ;;

usage)
    run "$WARD"
    expect_rc 2; err_has 'usage'
    run "$WARD" frobnicate
    expect_rc 2; err_has 'usage'; err_has 'frobnicate'
    run "$WARD" --frobnicate
    expect_rc 2; err_has 'usage'
    run "$WARD" run
    expect_rc 2; err_has 'usage'
    run "$WARD" run --
    expect_rc 2; err_has 'usage'
    run "$WARD" run --stats
    expect_rc 2; err_has 'usage'
    run "$WARD" run --frobnicate -- true
    expect_rc 2; err_has 'usage'; err_has 'frobnicate'
    run "$WARD" run --mode=turbo -- true
    expect_rc 2; err_has 'turbo'
    run "$WARD" run --mode
    expect_rc 2; err_has 'usage'
    run "$WARD" lib extra
    expect_rc 2; err_has 'usage'
    [ ! -s "$T/out" ] || fail "usage errors must write nothing on stdout"
    ;;

not_found)
    run "$WARD" run -- ward-no-such-program-xyz
    expect_rc 127; err_has 'ward-no-such-program-xyz'; err_has 'not found'
    run "$WARD" run -- "$T/no/such/path"
    expect_rc 127; err_has 'No such file'
    printf 'not a program\n' >"$T/plain"
    chmod 644 "$T/plain"
    run "$WARD" run -- "$T/plain"
    expect_rc 126; err_has 'denied'
    run "$WARD" run -- "$T"
    expect_rc 126
    ;;

exit_status)
    for code in 0 1 7 42 125 255; do
        run "$WARD" run -- sh -c "exit $code"
        expect_rc "$code"
    done
    run "$WARD" run -- false
    expect_rc 1
    run "$WARD" run true
    expect_rc 0; err_empty
    ;;

signal)
    # Death by signal N gives 128+N and one line on stderr (not for SIGINT/SIGPIPE).
    run "$WARD" run -- sh -c 'kill -TERM $$'
    expect_rc 143; err_has 'signal 15'
    run "$WARD" run -- sh -c 'kill -KILL $$'
    expect_rc 137; err_has 'signal 9'
    run "$WARD" run -- sh -c 'ulimit -c 0; kill -SEGV $$'
    expect_rc 139; err_has 'signal 11'
    run "$WARD" run -- sh -c 'ulimit -c 0; kill -ABRT $$'
    expect_rc 134; err_has 'signal 6'
    run "$WARD" run -- sh -c 'kill -INT $$'
    expect_rc 130; err_empty
    run "$WARD" run -- sh -c 'kill -PIPE $$'
    expect_rc 141; err_empty
    # A signal sent to ward itself is passed on to the program.
    run "$WARD" run -- sh -c 'trap "kill \$! 2>/dev/null; exit 42" TERM; sleep 30 & kill -TERM $PPID; wait'
    expect_rc 42
    run "$WARD" run -- sh -c 'trap "kill \$! 2>/dev/null; exit 43" USR1; sleep 30 & kill -USR1 $PPID; wait'
    expect_rc 43
    ;;

preload)
    # The program really runs with libward mapped.
    run "$WARD" run -- cat /proc/self/maps
    expect_rc 0; out_has "$libdir/libward"
    run "$WARD" run cat /proc/self/maps
    expect_rc 0; out_has "$libdir/libward"
    run "$WARD" run -- sh -c 'cat /proc/$$/maps'
    expect_rc 0; out_has "$libdir/libward"
    # Arguments reach the program untouched, options after PROGRAM are its own.
    run "$WARD" run -- printf '%s|' a 'b c' '' '--stats' '*'
    expect_rc 0; out_is 'a|b c||--stats|*|'
    run "$WARD" run printf '%s|' --mode=debug -- x
    expect_rc 0; out_is '--mode=debug|--|x|'
    # stdin passes through
    echo '$ echo hello | ward run -- cat'
    out=$(echo hello | "$WARD" run -- cat) || fail "cat failed"
    [ "$out" = hello ] || fail "stdin did not pass through: '$out'"
    # LD_PRELOAD: ward first, what was there kept after it
    run env LD_PRELOAD= "$WARD" run -- sh -c 'echo "$LD_PRELOAD"'
    expect_rc 0; out_is "$libdir/libward.so"
    run env LD_PRELOAD="$LIB" "$WARD" run -- sh -c 'echo "$LD_PRELOAD"'
    expect_rc 0; out_is "$libdir/libward.so:$LIB"
    # The rest of the environment passes through.
    run env WARD_TOOL_TEST_VAR=xyz "$WARD" run -- sh -c 'echo "$WARD_TOOL_TEST_VAR"'
    expect_rc 0; out_is xyz
    run "$WARD" run --verbose -- sh -c 'echo "$WARD_VERBOSE"'
    expect_rc 0; out_is 1
    # mode fast is the default
    run "$WARD" run --mode=fast -- cat /proc/self/maps
    expect_rc 0; out_has "$libdir/libward"
    run "$WARD" run --mode fast -- true
    expect_rc 0
    ;;

stats)
    run "$WARD" run --stats -- sh -c 'echo "$WARD_STATS"'
    expect_rc 0; out_is 1
    run "$WARD" run -- sh -c 'echo "${WARD_STATS-unset}"'
    expect_rc 0; out_is unset
    # The library prints the summary at exit, on stderr.
    run "$WARD" run --stats -- /bin/true
    expect_rc 0; err_has 'ward'; err_has 'peak'
    [ ! -s "$T/out" ] || fail "the summary must go to stderr, not stdout"
    # ... also for a program that allocates and exits with a status
    run "$WARD" run --stats -- "$ALLOC" 3
    expect_rc 3; err_has 'ward'; err_has 'peak'
    [ ! -s "$T/out" ] || fail "the summary must go to stderr, not stdout"
    # WARD_STATS=1 alone does the same
    run env WARD_STATS=1 "$WARD" run -- "$ALLOC" 0
    expect_rc 0; err_has 'peak'
    ;;

stats_stderr_closed)
    # Programs that close stderr at exit (all of coreutils: ls, sort, cat...)
    # still get their summary: `ward run --stats -- ls` is the first thing a
    # user tries.
    run "$WARD" run --stats -- "$ALLOC" 4 close-stderr
    expect_rc 4; err_has 'ward'; err_has 'peak'
    run "$WARD" run --stats -- ls /
    expect_rc 0; err_has 'peak'
    ;;

library)
    # Where the command looks for the library; a private tree in $T.
    mkdir -p "$T/bin" "$T/lib" "$T/alone/bin" "$T/other"
    cp "$WARD" "$T/bin/ward"
    cp "$WARD" "$T/alone/bin/ward"
    cp "$LIB" "$T/lib/libward.so"
    cp "$LIB" "$T/other/libward.so"
    # beside the executable
    run "$WARD" lib
    expect_rc 0; out_is "$libdir/libward.so"
    # ../lib relative to the executable
    run "$T/bin/ward" lib
    expect_rc 0; out_is "$T/lib/libward.so"
    run "$T/bin/ward" run -- cat /proc/self/maps
    expect_rc 0; out_has "$T/lib/libward.so"
    # a runtime-only install: libward.so.0 without the libward.so link
    mkdir -p "$T/rt/bin" "$T/rt/lib"
    cp "$WARD" "$T/rt/bin/ward"
    cp "$LIB" "$T/rt/lib/libward.so.0"
    run "$T/rt/bin/ward" lib
    expect_rc 0; out_is "$T/rt/lib/libward.so.0"
    # WARD_LIBRARY wins, relative paths made absolute
    run env WARD_LIBRARY="$T/other/libward.so" "$T/bin/ward" run -- cat /proc/self/maps
    expect_rc 0; out_has "$T/other/libward.so"
    run sh -c "cd '$T' && WARD_LIBRARY=other/libward.so '$WARD' lib"
    expect_rc 0; out_is "$T/other/libward.so"
    # WARD_LIBRARY naming nothing is an error, not a silent fallback
    run env WARD_LIBRARY="$T/nothing/libward.so" "$WARD" run -- true
    expect_rc 2; err_has 'WARD_LIBRARY'
    # not a shared library
    printf 'junk' >"$T/other/junk.so"
    run env WARD_LIBRARY="$T/other/junk.so" "$WARD" run -- true
    expect_rc 2; err_has 'not an ELF'
    run env WARD_LIBRARY="$WARD" "$WARD" run -- true
    expect_rc 2; err_has 'not a shared library'
    # a path LD_PRELOAD cannot hold
    mkdir -p "$T/with space"
    cp "$LIB" "$T/with space/libward.so"
    run env WARD_LIBRARY="$T/with space/libward.so" "$WARD" run -- true
    expect_rc 2; err_has 'space'
    # nowhere to be found (unless installed in the configured libdir)
    if [ ! -e "$INSTALL_LIBDIR/libward.so" ]; then
        run "$T/alone/bin/ward" run -- true
        expect_rc 2; err_has 'cannot find libward.so'; err_has 'WARD_LIBRARY'
        err_has "$T/alone/bin/libward.so"; err_has "$T/alone/lib/libward.so"
        err_has "$INSTALL_LIBDIR/libward.so"
    fi
    # The modes without a library yet fail clearly (exit 2).
    for mode in hardened debug; do
        if [ -e "$libdir/libward-$mode.so" ]; then
            run "$WARD" run --mode=$mode -- true
            expect_rc 0
        elif [ ! -e "$INSTALL_LIBDIR/libward-$mode.so" ]; then
            run "$WARD" run --mode=$mode -- true
            expect_rc 2; err_has "libward-$mode.so"; err_has "$mode mode"
            run "$WARD" lib --mode=$mode
            expect_rc 2; err_has "libward-$mode.so"
        fi
        # other modes look beside WARD_LIBRARY first
        cp "$LIB" "$T/other/libward-$mode.so"
        run env WARD_LIBRARY="$T/other/libward.so" "$WARD" lib --mode=$mode
        expect_rc 0; out_is "$T/other/libward-$mode.so"
    done
    ;;

*)
    echo "test_cmd.sh: unknown case '$case_name'" >&2
    exit 2
    ;;
esac
echo "ok [$case_name]"
exit 0
