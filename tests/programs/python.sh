#!/usr/bin/env bash
# python.sh LIBWARD — Python under LD_PRELOAD=libward.so gives the same output.
#
# A deterministic workload that churns dicts, lists, sets, strings, bytes,
# big integers, json and regular expressions, with worker threads that build
# objects freed by the main thread, and a gc pass; it prints digests of its
# results. Run twice: with PYTHONMALLOC=malloc (every object through malloc)
# and with Python's default small-object allocator (arenas, big blocks through
# malloc). Each run under ward must exit 0 and print what it prints under the
# system allocator.
. "$(dirname "$0")/common.sh" "$@"

command -v python3 >/dev/null || { echo "python3 not found: skipped"; exit 77; }

cat >"$WORK/work.py" <<'EOF'
import gc, hashlib, json, random, re, sys, threading

def digest(obj):
    return hashlib.sha256(repr(obj).encode()).hexdigest()[:16]

rnd = random.Random(12345)
out = []

# dicts of strings, grown and shrunk
d = {}
for i in range(200000):
    k = "key-%d-%s" % (rnd.randrange(50000), "x" * rnd.randrange(40))
    if rnd.random() < 0.7:
        d[k] = [i, str(i) * (i % 7), {"n": i}]
    else:
        d.pop(k, None)
out.append(("dict", len(d), digest(sorted(d.items())[:2000])))

# lists: append, slice, sort, delete
lst = [rnd.random() for _ in range(300000)]
lst.sort()
del lst[::3]
lst2 = [x * 2 for x in lst if x > 0.25]
out.append(("list", len(lst2), digest(lst2[:1000]), round(sum(lst2), 6)))

# strings and bytes
parts = []
for i in range(100000):
    parts.append(("%08x" % rnd.getrandbits(32)) * (1 + i % 5))
s = "|".join(parts)
b = s.encode() * 3
out.append(("str", len(s), hashlib.sha256(b).hexdigest()[:16], s.count("ab")))
words = re.findall(r"[a-f]{3,}", s)
out.append(("re", len(words), digest(words[:500])))

# big integers
f = 1
for i in range(1, 3000):
    f *= i
out.append(("bigint", f.bit_length(), hex(f)[-20:], f % 1000000007))

# json round trips
data = [{"id": i, "tags": ["t%d" % j for j in range(i % 10)], "v": i / 7} for i in range(50000)]
txt = json.dumps(data, sort_keys=True)
back = json.loads(txt)
out.append(("json", len(txt), digest(back[::97])))

# sets
a = set(rnd.randrange(1 << 20) for _ in range(200000))
bset = set(rnd.randrange(1 << 20) for _ in range(200000))
out.append(("set", len(a & bset), len(a | bset), len(a ^ bset)))

# threads build objects; main frees them
results = [None] * 8
def worker(n):
    r = random.Random(n)
    objs = []
    for i in range(30000):
        objs.append({"w": n, "i": i, "s": "y" * r.randrange(100), "l": list(range(i % 20))})
    results[n] = objs
ths = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
for t in ths: t.start()
for t in ths: t.join()
out.append(("threads", sum(len(r) for r in results), digest([r[-1] for r in results])))
results = None

# cycles for the collector
class Node:
    def __init__(self, v): self.v = v; self.peer = None
for i in range(50000):
    x, y = Node(i), Node(-i)
    x.peer, y.peer = y, x
out.append(("gc", gc.collect() >= 0))

for line in out:
    print(*line)
EOF

check_preloaded python3 -c 'print(open("/proc/self/maps").read())'

cd "$WORK"
run_both py-malloc env PYTHONMALLOC=malloc PYTHONHASHSEED=0 python3 "$WORK/work.py"
same py-malloc
run_both py-pymalloc env PYTHONHASHSEED=0 python3 "$WORK/work.py"
same py-pymalloc
cmp -s py-malloc.sys py-pymalloc.sys || fail "the workload is not deterministic"
echo "python: ok"
