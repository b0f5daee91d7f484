# common.sh — sourced by the program tests. Usage in a test:
#   . "$(dirname "$0")/common.sh" "$@"      (first argument: path to libward.so)
# Gives: $LIBWARD (absolute), $WORK (a temp dir removed at exit), and
#   run_both NAME CMD...   runs CMD with the system allocator, then again with
#                          ward preloaded (in the current directory), stdout to
#                          $WORK/NAME.sys / $WORK/NAME.ward; both must exit 0.
#   same NAME              the two outputs must be identical (diff shown).
#   check_preloaded CMD    ward really is in CMD's process when preloaded.

set -eEuo pipefail
trap 'echo "FAIL: line $LINENO of $(basename "$0"): $BASH_COMMAND (exit status $?)" >&2' ERR

if [ $# -lt 1 ] || [ ! -f "$1" ]; then
    echo "usage: $0 /path/to/libward.so" >&2
    exit 2
fi
LIBWARD=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ward-prog.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# No ward option from the caller's environment changes the runs.
for v in $(env | sed -n 's/^\(WARD_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
unset LD_PRELOAD || true
export LC_ALL=C TZ=UTC

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# run_both NAME CMD... : stdout to $WORK/NAME.{sys,ward}, stderr to .err files
run_both() {
    local name=$1
    shift
    local rc=0
    "$@" >"$WORK/$name.sys" 2>"$WORK/$name.sys.err" || rc=$?
    [ $rc -eq 0 ] || { cat "$WORK/$name.sys.err" >&2; fail "$name: exit status $rc with the system allocator"; }
    rc=0
    LD_PRELOAD="$LIBWARD" "$@" >"$WORK/$name.ward" 2>"$WORK/$name.ward.err" || rc=$?
    [ $rc -eq 0 ] || { tail -50 "$WORK/$name.ward.err" >&2; fail "$name: exit status $rc under ward"; }
    # A guard library reports nothing in a program without memory errors
    # (leaks aside: the debug library's leak report is on, and Python, for
    # one, leaves blocks at exit that only its own mmap'd arenas point to).
    if grep "^ward: error" "$WORK/$name.ward.err" | grep -qv "^ward: error: memory leak"; then
        grep -A8 "^ward: error" "$WORK/$name.ward.err" | head -40 >&2
        fail "$name: ward reported an error"
    fi
}

same() {
    local name=$1
    if ! cmp -s "$WORK/$name.sys" "$WORK/$name.ward"; then
        diff "$WORK/$name.sys" "$WORK/$name.ward" | head -40 >&2 || true
        fail "$name: output differs between the system allocator and ward"
    fi
    echo "$name: same output ($(wc -c <"$WORK/$name.ward") bytes)"
}

# The preloaded library must be mapped in the process and malloc must be ward's.
check_preloaded() {
    local maps
    maps=$(LD_PRELOAD="$LIBWARD" "$@")
    case "$maps" in
    *"$(basename "$LIBWARD")"*) ;;
    *) fail "$(basename "$LIBWARD") is not mapped in a process started with LD_PRELOAD=$LIBWARD" ;;
    esac
}
