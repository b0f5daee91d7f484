#!/usr/bin/env bash
# git.sh LIBWARD — git under LD_PRELOAD=libward.so gives the same results.
#
# A repository is generated twice, once by git with the system allocator and
# once by git with ward preloaded: 400 files over 60 commits (adds, edits,
# renames, deletions, a branch and a merge), with fixed author/committer
# dates so that both histories must have the same commit ids (every command
# of the build, not only git, runs under ward). Then, on each repository with
# its own allocator: log -p --stat, diff between distant commits, blame, grep,
# fsck --full, gc --aggressive and repack -adf (delta compression in threads;
# the packs themselves may differ between runs, so only their contents are
# compared), rev-list --objects, and log again after the repack. Every command
# must exit 0 and print the same thing.
. "$(dirname "$0")/common.sh" "$@"

command -v git >/dev/null || { echo "git not found: skipped"; exit 77; }

export HOME="$WORK/home" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$WORK/home/.gitconfig"
mkdir -p "$HOME"
export GIT_AUTHOR_NAME="Ward Test" GIT_AUTHOR_EMAIL="ward@example.invalid"
export GIT_COMMITTER_NAME="Ward Test" GIT_COMMITTER_EMAIL="ward@example.invalid"
unset GIT_DIR GIT_WORK_TREE || true

# make_repo DIR: builds the repository deterministically with `git` as found
# (the caller sets LD_PRELOAD or not)
make_repo() {
    local dir=$1
    mkdir -p "$dir"
    cd "$dir"
    git init -q -b main .
    git config core.autocrlf false
    git config gc.auto 0
    local c f i
    for ((c = 0; c < 60; c++)); do
        export GIT_AUTHOR_DATE="@$((1700000000 + c * 3600)) +0000" GIT_COMMITTER_DATE="@$((1700000000 + c * 3600)) +0000"
        for ((i = 0; i < 40; i++)); do
            f=$(((c * 37 + i * 11) % 400))
            mkdir -p "d$((f % 13))"
            {
                echo "file $f commit $c"
                for ((k = 0; k < (f % 50) + 5; k++)); do echo "line $k of $f: $(((f * 7919 + k * 104729 + c) % 1000003))"; done
            } >"d$((f % 13))/f$f.txt"
        done
        if ((c % 10 == 9)); then
            git rm -q "d$((c % 13))/f$((c * 37 % 400)).txt" 2>/dev/null || true
        fi
        if ((c % 15 == 14)) && [ -f "d1/f$((c % 400)).txt" ]; then
            git mv "d1/f$((c % 400)).txt" "d1/renamed$c.txt" 2>/dev/null || true
        fi
        git add -A
        git commit -q -m "commit $c" -m "$(printf 'body line %d\n' $(seq 1 $((c % 5 + 1))))"
        if ((c == 30)); then git branch side; fi
    done
    git checkout -q side
    export GIT_AUTHOR_DATE="@1800000000 +0000" GIT_COMMITTER_DATE="@1800000000 +0000"
    for ((i = 0; i < 30; i++)); do echo "side $i" >"side$i.txt"; done
    git add -A
    git commit -q -m "side work"
    git checkout -q main
    git merge -q --no-edit side
    cd - >/dev/null
}

cd "$WORK"
check_preloaded git -c alias.m='!cat /proc/$PPID/maps' m
echo "building the repository with the system allocator"
make_repo "$WORK/sys"
echo "building the repository under ward"
(
    export LD_PRELOAD="$LIBWARD"
    make_repo "$WORK/ward"
)
[ "$(git -C sys rev-parse HEAD)" = "$(git -C ward rev-parse HEAD)" ] ||
    fail "the repository built under ward has other commit ids: $(git -C sys rev-parse HEAD) vs $(git -C ward rev-parse HEAD)"
echo "git: same history ($(git -C sys rev-list --count HEAD) commits, HEAD $(git -C sys rev-parse --short HEAD))"

# gitcmd NAME ARGS...: run git ARGS in sys/ (system allocator) and ward/ (ward)
gitcmd() {
    local name=$1
    shift
    local rc=0
    git -C "$WORK/sys" "$@" >"$WORK/$name.sys" 2>"$WORK/$name.sys.err" || rc=$?
    [ $rc -eq 0 ] || { cat "$WORK/$name.sys.err" >&2; fail "git $*: exit status $rc with the system allocator"; }
    LD_PRELOAD="$LIBWARD" git -C "$WORK/ward" "$@" >"$WORK/$name.ward" 2>"$WORK/$name.ward.err" || rc=$?
    [ $rc -eq 0 ] || { tail -50 "$WORK/$name.ward.err" >&2; fail "git $*: exit status $rc under ward"; }
    same "$name"
}

gitcmd log log -p --stat --format=fuller
gitcmd diff diff HEAD~50 HEAD
gitcmd diff-stat diff --stat --find-renames HEAD~45 HEAD~3
blame_file=$(git -C sys ls-files | sed -n 100p)
gitcmd blame blame "$blame_file"
gitcmd grep grep -n "line 7 of"
gitcmd fsck fsck --full --strict
gitcmd gc gc --aggressive --quiet
gitcmd repack repack -adf --quiet --threads=4
gitcmd fsck2 fsck --full
gitcmd revlist rev-list --objects --all
gitcmd log2 log --graph --oneline --all --decorate
gitcmd show show --stat HEAD~7
echo "git: ok"
