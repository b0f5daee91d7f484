#!/usr/bin/env bash
# Runs a real program under ward and shows ward's statistics at its exit:
# Python building and tearing down a few million objects.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
# The interpreter itself, not a wrapper script (pyenv shims are shell scripts).
python=$(python3 -c 'import sys; print(sys.executable)')
# PYTHONMALLOC=malloc: every Python object comes from malloc, not pymalloc.
PYTHONMALLOC=malloc exec "$build/ward" run --stats -- "$python" - <<'PY'
import random
random.seed(1)
words = {}
for i in range(300000):
    key = "w%d" % random.randrange(100000)
    words.setdefault(key, []).append(i)
total = sum(len(v) for v in words.values())
trees = [{"id": i, "kids": [str(j) * 3 for j in range(i % 17)]} for i in range(200000)]
del trees
print("python under ward:", len(words), "keys,", total, "values")
PY
