"""python — an allocation-heavy Python script, run by the system python3 with
PYTHONMALLOC=malloc so that every object goes through the allocator under
test: dicts of small objects, lists and tuples built and dropped, string
formatting and joining, a JSON round trip, and a class-instance graph.

usage: python3 pyalloc.py [scale]
Check: deterministic checksums against values computed along the way.
"""
import json
import random
import sys


class Node:
    __slots__ = ("key", "children", "payload")

    def __init__(self, key, payload):
        self.key = key
        self.children = []
        self.payload = payload


def build_tree(rng, n):
    nodes = [Node(0, "root")]
    for i in range(1, n):
        parent = nodes[rng.randrange(len(nodes))]
        child = Node(i, "n%d" % i)
        parent.children.append(child)
        nodes.append(child)
    return nodes[0]


def walk(root):
    total, stack = 0, [root]
    while stack:
        n = stack.pop()
        total += n.key
        stack.extend(n.children)
    return total


def main():
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    rounds = 2
    f = max(0.02, 0.7 * scale)

    def n(x):
        return max(100, int(x * f))

    rng = random.Random(12345)
    check = 0
    for rnd in range(rounds):
        # dicts and tuples
        d = {}
        nd = n(120000) // 2 * 2
        for i in range(nd):
            d["k%d" % i] = (i, str(i), [i] * (i % 5))
        s = sum(v[0] for v in d.values())
        assert s == nd * (nd - 1) // 2, "dict sum"
        for i in range(0, nd, 2):
            del d["k%d" % i]
        assert len(d) == nd // 2, "dict size"
        check += len(d)
        del d
        # strings
        parts = ["%s-%d-%x" % ("word" * (i % 7), i, i * 7) for i in range(n(80000))]
        joined = ",".join(parts)
        assert joined.count(",") == len(parts) - 1, "join"
        check += len(joined)
        words = joined.split(",")
        assert words == parts, "split"
        del parts, words, joined
        # JSON round trip
        doc = [{"id": i, "name": "item%d" % i, "tags": ["t%d" % (i % 13), "x"],
                "vals": [i * 0.5, i + 1]} for i in range(n(25000))]
        text = json.dumps(doc)
        back = json.loads(text)
        assert back == doc, "json round trip"
        check += len(text)
        del doc, back, text
        # object graph
        nt = n(60000)
        root = build_tree(rng, nt)
        assert walk(root) == nt * (nt - 1) // 2, "tree walk"
        del root
        # list churn
        live = []
        for i in range(n(200000)):
            live.append(bytearray(16 + i % 200))
            if len(live) > n(5000):
                live[rng.randrange(len(live))] = None
                if i % 16 == 0:
                    live = [x for x in live if x is not None]
        check += sum(len(x) for x in live if x is not None) % 1000003
    print("python: %d rounds, checksum %d" % (rounds, check))


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print("FAIL python: %s" % e, file=sys.stderr)
        sys.exit(1)
