#!/usr/bin/env python3
"""run_bugs.py - runs ward's bug programs (tests/bugs/*.c) under each mode and
checks what each mode does with each bug against the table below.

    run_bugs.py --fast LIB --hardened LIB --debug LIB --exe PATH PROGRAM
        runs one program (built from PROGRAM.c, at PATH) under the three
        libraries (LD_PRELOAD), in every configuration the table gives it,
        and checks each run; exit status 0 if every check passed, else 1.
        One CTest test per program (bugs.PROGRAM) calls it this way.
    run_bugs.py --table
        prints the outcome table as Markdown (docs/bugs-table.md is this).
    run_bugs.py --check-table FILE
        fails if FILE differs from what --table prints (CTest: bugs.table).
    run_bugs.py --known-bugs
        prints the programs with an expectation that ward breaks today
        (see `bug` below), separated by ';' (CMake labels them known_bug).

Outcomes (one per program, configuration and mode):

  detect  ward reports the bug: exactly one report, whose first line is
          "ward: error: KIND of 0xADDR (DETAIL)" with the expected KIND, the
          address the program announced ("BUG_ADDR 0x..." on stderr before
          the bug) and DETAIL matching a pattern; the report carries the
          expected stacks, each one's frame #0 being the test program's
          function that made the call ("FUNC FILE.c:LINE" when addr2line is
          installed), and no other stack (a mode that records no stacks
          prints none); then the process dies of SIGABRT (faults of sampled
          blocks: SIGSEGV; leaks: at exit, status 0). For detections that
          abort, the program is run again with WARD_ON_ERROR=report: the same
          single report, then the program runs to its end and exits 0.
  miss    no report: the program runs to its end and exits 0.

Whenever the program runs to its end it prints the file ward was loaded
from, which must be the mode's library: a "miss" without ward loaded (say,
LD_PRELOAD refused a library being relinked) fails rather than passes.
  crash   no report, and the process dies of SIGSEGV inside free: fast mode
          acts on the pointer without looking (README: it reports only the
          bad frees it sees without looking).
  clean   the control program: exits 0 with no report.

An expectation with a `bug` note is what README.md promises but ward does
not do today: it is checked as promised (so the test fails) and the note
says what happens instead.

The environment of every run is the caller's without LD_PRELOAD and WARD_*,
plus LD_PRELOAD=<the mode's library> and the configuration's variables.
"""

import argparse
import os
import re
import resource
import shutil
import signal
import subprocess
import sys

MODES = ("fast", "hardened", "debug")


class Expect:
    def __init__(self, outcome, kind=None, detail=None, death="SIGABRT", stacks=(), optional=(), addr=True,
                 bug=None):
        self.outcome = outcome      # detect | miss | crash | clean
        self.kind = kind            # KIND in "ward: error: KIND of ..."
        self.detail = detail        # regex searched in DETAIL
        self.death = death          # SIGABRT | SIGSEGV | None (exits 0)
        self.stacks = list(stacks)  # [(label, function of frame #0, or None: any)]
        self.optional = set(optional)  # labels that may appear or not
        self.addr = addr            # the report names the BUG_ADDR address
        self.bug = bug              # README promise ward breaks today: a key of BUGS

    def cell(self, notes):
        """The table cell; known bugs go into notes (a list of keys of BUGS)."""
        if self.outcome == "miss":
            text = "miss"
        elif self.outcome == "crash":
            text = "crash (SIGSEGV in free, no report)"
        elif self.outcome == "clean":
            text = "clean"
        else:
            how = {"SIGABRT": "abort", "SIGSEGV": "SIGSEGV", None: "at exit, status 0"}[self.death]
            text = "**%s** (%s)" % (self.kind, how)
            if self.stacks:
                text += ": " + ", ".join(label.rstrip(":") + (" `%s`" % fn if fn else "") +
                                         (" (if recorded yet)" if label in self.optional else "")
                                         for label, fn in self.stacks)
            else:
                text += ", no stacks"
        if self.bug:
            if self.bug not in notes:
                notes.append(self.bug)
            text += " — **FAILS** [%d]" % (notes.index(self.bug) + 1)
        return text


def detect(kind, **kw):
    return Expect("detect", kind=kind, **kw)


MISS = Expect("miss")
CRASH = Expect("crash")
CLEAN = Expect("clean")

# Stack labels, as report.c prints them.
FREED = "freed here:"
FIRST = "first freed at:"
ALLOC = "allocated at:"
FOUND = "found here:"
USED = "used here:"
FREED_AT = "freed at:"
ACCESSED = "accessed here:"
AT_EXIT = "found at exit:"
LABELS = (FREED, FIRST, ALLOC, FOUND, USED, FREED_AT, ACCESSED, AT_EXIT)

# README promises that ward does not keep today (footnotes of the table).
BUGS = {}


def row(program, what, fast, hardened, debug, env=None, title=None):
    return {"program": program, "what": what, "env": env or {}, "title": title or program,
            "expect": {"fast": fast, "hardened": hardened, "debug": debug}}


# ---- the table -------------------------------------------------------------------------------

TABLE = [
    row("double_free_small", "A 48-byte block freed twice by the same function.",
        MISS,
        detect("double free", detail=r"^block of 48 bytes$", stacks=[(FREED, "release_node")]),
        detect("double free", detail=r"^block of 48 bytes$",
               stacks=[(FREED, "release_node"), (FIRST, "release_node"), (ALLOC, "make_node")])),
    row("double_free_large", "A 200 KiB block (a large block, one per page) freed twice.",
        # The second free finds a free page: fast mode's "pointers into free memory".
        detect("invalid free", detail=r"not a live block"),
        detect("double free", detail=r"^block of 204800 bytes$", stacks=[(FREED, "release_buffer")]),
        detect("double free", detail=r"^block of 204800 bytes$",
               stacks=[(FREED, "release_buffer"), (FIRST, "release_buffer"), (ALLOC, "make_buffer")])),
    row("double_free_huge", "A 20 MiB block (a huge block, a mapping of its own) freed twice.",
        # Fast mode sees it too: the block waits in the huge cache, marked.
        detect("double free", detail=r"freed already"),
        detect("double free", detail=r"^block of 20971520 bytes$", stacks=[(FREED, "release_image")]),
        detect("double free", detail=r"^block of 20971520 bytes$",
               stacks=[(FREED, "release_image"), (FIRST, "release_image"), (ALLOC, "make_image")])),
    row("double_free_aligned", "A block from `aligned_alloc(256, 512)` freed twice.",
        MISS,
        detect("double free", detail=r"^block of 512 bytes$", stacks=[(FREED, "release_aligned")]),
        detect("double free", detail=r"^block of 512 bytes$",
               stacks=[(FREED, "release_aligned"), (FIRST, "release_aligned"), (ALLOC, "make_aligned")])),
    row("double_free_threads",
        "Two threads wait on a barrier, then both free the same 64-byte block at once.",
        MISS,
        detect("double free", detail=r"^block of 64 bytes$", stacks=[(FREED, "release_shared")]),
        # Which thread loses the race is open, and the winner may not have
        # recorded its free stack yet when the loser reports.
        detect("double free", detail=r"^block of 64 bytes$",
               stacks=[(FREED, "release_shared"), (FIRST, "release_shared"), (ALLOC, "make_shared")],
               optional=[FIRST])),
    row("double_free_other_thread",
        "A 64-byte block freed by one thread, then, after that thread ended, by another.",
        MISS,
        detect("double free", detail=r"^block of 64 bytes$", stacks=[(FREED, "second_release")]),
        detect("double free", detail=r"^block of 64 bytes$",
               stacks=[(FREED, "second_release"), (FIRST, "first_release"), (ALLOC, "make_message")])),
    row("double_free_remote",
        "A 64-byte block of a running thread freed by a second thread, then by a third; then its owner ends.",
        # Fast mode: the block is twice on its page's list of blocks freed by
        # other threads; its owner finds the list looping when it collects it.
        detect("heap corruption", detail=r"loops back on itself: a block was freed twice$"),
        detect("double free", detail=r"^block of 64 bytes$", stacks=[(FREED, "second_release")]),
        detect("double free", detail=r"^block of 64 bytes$",
               stacks=[(FREED, "second_release"), (FIRST, "first_release"), (ALLOC, "make_message")])),
    row("free_interior", "`free()` of a pointer 16 bytes inside a live 64-byte block.",
        MISS,
        detect("invalid free", detail=r"inside a block", stacks=[(FOUND, "release_field")]),
        detect("invalid free", detail=r"block of 64 bytes", stacks=[(FOUND, "release_field"), (ALLOC, "make_record")])),
    row("free_stack", "`free()` of a local array's address.",
        CRASH,
        detect("invalid free", detail=r"not a block ward handed out", stacks=[(FOUND, "release_local")]),
        detect("invalid free", detail=r"not a block ward handed out", stacks=[(FOUND, "release_local")])),
    row("free_global", "`free()` of a global array's address.",
        CRASH,
        detect("invalid free", detail=r"not a block ward handed out", stacks=[(FOUND, "release_table")]),
        detect("invalid free", detail=r"not a block ward handed out", stacks=[(FOUND, "release_table")])),
    row("free_wild", "`free()` of a made-up address where nothing is mapped.",
        CRASH,
        detect("invalid free", detail=r"not a block ward handed out", stacks=[(FOUND, "release_wild")]),
        detect("invalid free", detail=r"not a block ward handed out", stacks=[(FOUND, "release_wild")])),
    row("realloc_freed", "`realloc()` to 80 bytes of a 40-byte block already freed.",
        MISS,
        detect("use after free", detail=r"^block of 40 bytes$", stacks=[(USED, "grow_line")]),
        detect("use after free", detail=r"^block of 40 bytes$",
               stacks=[(USED, "grow_line"), (FREED_AT, "drop_line"), (ALLOC, "make_line")])),
    row("overflow_small", "One byte written past the end of a 24-byte block, which is then freed.",
        MISS,
        detect("heap buffer overflow", detail=r"^block of 24 bytes: written past its end at offset 24$",
               stacks=[(FOUND, "release_name")]),
        detect("heap buffer overflow", detail=r"^block of 24 bytes: written past its end at offset 24$",
               stacks=[(FOUND, "release_name"), (ALLOC, "make_name")])),
    row("overflow_large", "One byte written past the end of a 200 KiB block, which is then freed.",
        MISS,
        detect("heap buffer overflow", detail=r"^block of 204800 bytes: written past its end at offset 204800$",
               stacks=[(FOUND, "release_table")]),
        detect("heap buffer overflow", detail=r"^block of 204800 bytes: written past its end at offset 204800$",
               stacks=[(FOUND, "release_table"), (ALLOC, "make_table")])),
    row("overflow_realloc", "A 100-byte block shrunk to 96 bytes by `realloc()` (in place), then 97 bytes written and freed.",
        MISS,
        detect("heap buffer overflow", detail=r"^block of 96 bytes: written past its end at offset 96$",
               stacks=[(FOUND, "release_buf")]),
        detect("heap buffer overflow", detail=r"^block of 96 bytes: written past its end at offset 96$",
               stacks=[(FOUND, "release_buf"), (ALLOC, "shrink_buf")])),
    row("overflow_then_realloc", "One byte written past the end of a 100-byte block, which `realloc()` then grows to 102 bytes (in place).",
        MISS,
        detect("heap buffer overflow", detail=r"^block of 100 bytes: written past its end at offset 100$",
               stacks=[(FOUND, "grow_buf")]),
        detect("heap buffer overflow", detail=r"^block of 100 bytes: written past its end at offset 100$",
               stacks=[(FOUND, "grow_buf"), (ALLOC, "make_buf")])),
    row("underflow", "One byte written just before the start of a 24-byte block, which is then freed.",
        MISS,
        detect("heap buffer underflow", detail=r"^block of 24 bytes: written 1 bytes? before its start$",
               stacks=[(FOUND, "release_name")]),
        detect("heap buffer underflow", detail=r"^block of 24 bytes: written 1 bytes? before its start$",
               stacks=[(FOUND, "release_name"), (ALLOC, "make_name")])),
    row("underflow_aligned",
        "One byte written just before the start of a 24-byte block from `aligned_alloc(64, 24)`, which is then "
        "freed.",
        MISS,
        detect("heap buffer underflow", detail=r"^block of 24 bytes: written 1 bytes? before its start$",
               stacks=[(FOUND, "release_aligned")]),
        detect("heap buffer underflow", detail=r"^block of 24 bytes: written 1 bytes? before its start$",
               stacks=[(FOUND, "release_aligned"), (ALLOC, "make_aligned")])),
    row("write_after_free_small",
        "A freed 48-byte block is written at offset 16; then 50000 malloc/free pairs of 48 bytes hand it out "
        "again.",
        MISS,
        detect("write after free", detail=r"written after it was freed at offset 16", stacks=[(FOUND, "churn")]),
        detect("write after free", detail=r"written after it was freed at offset 16",
               stacks=[(FOUND, "churn"), (FREED_AT, "release_item"), (ALLOC, "make_item")])),
    row("write_after_free_large",
        "A freed 200 KiB block is written at offset 16; then 50000 malloc/free pairs of 200 KiB hand it out "
        "again.",
        MISS,
        detect("write after free", detail=r"written after it was freed at offset 16", stacks=[(FOUND, "churn")]),
        detect("write after free", detail=r"written after it was freed at offset 16",
               stacks=[(FOUND, "churn"), (FREED_AT, "release_chunk"), (ALLOC, "make_chunk")])),
    row("write_after_free_exit",
        "A freed 48-byte block is written at offset 16, and the program exits at once.",
        MISS,
        detect("write after free", detail=r"written after it was freed at offset 16", stacks=[(AT_EXIT, None)]),
        detect("write after free", detail=r"written after it was freed at offset 16",
               stacks=[(AT_EXIT, None), (FREED_AT, "release_item"), (ALLOC, "make_item")])),
    row("sample_use_after_free",
        "With `WARD_SAMPLE=1` (every small block sampled): a 32-byte block is freed, then read.",
        detect("use after free", death="SIGSEGV", detail=r"^sampled block of 32 bytes at 0x[0-9a-f]+, offset 0$",
               stacks=[(ACCESSED, "read_cell"), (FREED_AT, "release_cell"), (ALLOC, "make_cell")]),
        detect("use after free", death="SIGSEGV", detail=r"^sampled block of 32 bytes at 0x[0-9a-f]+, offset 0$",
               stacks=[(ACCESSED, "read_cell"), (FREED_AT, "release_cell"), (ALLOC, "make_cell")]),
        detect("use after free", death="SIGSEGV", detail=r"^sampled block of 32 bytes at 0x[0-9a-f]+, offset 0$",
               stacks=[(ACCESSED, "read_cell"), (FREED_AT, "release_cell"), (ALLOC, "make_cell")]),
        env={"WARD_SAMPLE": "1"}),
    row("sample_overflow",
        "With `WARD_SAMPLE=1` (every small block sampled): the byte just past a live 32-byte block is read.",
        detect("heap buffer overflow", death="SIGSEGV", detail=r"^sampled block of 32 bytes at 0x[0-9a-f]+, 0 bytes past",
               stacks=[(ACCESSED, "read_past_end"), (ALLOC, "make_cell")]),
        detect("heap buffer overflow", death="SIGSEGV", detail=r"^sampled block of 32 bytes at 0x[0-9a-f]+, 0 bytes past",
               stacks=[(ACCESSED, "read_past_end"), (ALLOC, "make_cell")]),
        detect("heap buffer overflow", death="SIGSEGV", detail=r"^sampled block of 32 bytes at 0x[0-9a-f]+, 0 bytes past",
               stacks=[(ACCESSED, "read_past_end"), (ALLOC, "make_cell")]),
        env={"WARD_SAMPLE": "1"}),
    row("free_arena", "`free()` of 100 bytes from a ward arena (`ward_arena_alloc`).",
        detect("invalid free", detail=r"memory of an arena or pool"),
        detect("invalid free", detail=r"memory of an arena or pool", stacks=[(FOUND, "release_from_arena")]),
        detect("invalid free", detail=r"memory of an arena or pool", stacks=[(FOUND, "release_from_arena")])),
    row("free_pool", "`free()` of a 40-byte object from a ward pool (`ward_pool_alloc`).",
        detect("invalid free", detail=r"memory of an arena or pool"),
        detect("invalid free", detail=r"memory of an arena or pool", stacks=[(FOUND, "release_from_pool")]),
        detect("invalid free", detail=r"memory of an arena or pool", stacks=[(FOUND, "release_from_pool")])),
    row("pool_double_free",
        "A 40-byte object of a ward pool given back twice with `ward_pool_free`, then two objects taken.",
        MISS,
        detect("double free", detail=r"^an object of this pool, freed to it already$",
               stacks=[(FOUND, "return_again")]),
        detect("double free", detail=r"^an object of this pool, freed to it already$",
               stacks=[(FOUND, "return_again")])),
    row("leak", "A 1000-byte block allocated in `leak_some_memory()` and dropped; the program exits 0.",
        MISS,
        MISS,
        detect("memory leak", death=None, detail=r"^1000 bytes in 1 block, none reachable at exit$",
               stacks=[(ALLOC, "leak_some_memory")])),
    row("leak", "The same with `WARD_LEAKS=1`: a leak report in the hardened mode too, grouped by size "
                "(no stacks recorded there).",
        MISS,
        detect("memory leak", death=None, detail=r"^1000 bytes in 1 block of 1000 bytes, none reachable at exit$"),
        detect("memory leak", death=None, detail=r"^1000 bytes in 1 block, none reachable at exit$",
               stacks=[(ALLOC, "leak_some_memory")]),
        env={"WARD_LEAKS": "1"}, title="leak, `WARD_LEAKS=1`"),
    row("control",
        "No bug: many correct malloc/calloc/realloc/free calls of every size class, aligned blocks, "
        "`malloc_usable_size` bytes written, cross-thread frees, four threads at once; everything freed.",
        CLEAN, CLEAN, CLEAN),
    row("control", "The same with `WARD_SAMPLE=100`.",
        Expect("clean"),
        CLEAN, CLEAN,
        env={"WARD_SAMPLE": "100"}, title="control, `WARD_SAMPLE=100`"),
    row("control", "The same with `WARD_SAMPLE=1` (every block of up to 4 KiB sampled while slots last).",
        Expect("clean"),
        CLEAN, CLEAN,
        env={"WARD_SAMPLE": "1"}, title="control, `WARD_SAMPLE=1`"),
]

# ---- running and checking ----------------------------------------------------------------------

ERROR_RE = re.compile(r"^ward: error: (.+?) of (0x[0-9a-f]+)(?: \((.*)\))?$")
FRAME0_RE = re.compile(r"#0 0x[0-9a-f]+ in (\S+)(?: (\S+):(\d+))?")


def parse_reports(stderr):
    """Reports in stderr: [{kind, addr, detail, stacks: {label: [frame lines]}}]."""
    reports = []
    current = None
    label = None
    for line in stderr.splitlines():
        m = ERROR_RE.match(line)
        if m:
            current = {"kind": m.group(1), "addr": m.group(2), "detail": m.group(3) or "", "stacks": {},
                       "line": line}
            reports.append(current)
            label = None
            continue
        if line.startswith("ward: error:"):
            current = {"kind": None, "addr": None, "detail": "", "stacks": {}, "line": line}
            reports.append(current)
            continue
        if current is None:
            continue
        if not line.startswith("  "):
            current = None
            continue
        body = line[2:]
        for lab in LABELS:
            if body.startswith(lab + " "):
                label = lab
                rest = body[len(lab):].strip()
                if rest == "(no stack recorded)":
                    label = None  # what the mode cannot know it leaves out
                else:
                    current["stacks"].setdefault(lab, []).append(rest)
                break
        else:
            if label is not None and body.startswith(" "):
                current["stacks"][label].append(body.strip())
    return reports


def signal_name(rc):
    if rc < 0:
        try:
            return signal.Signals(-rc).name
        except ValueError:
            return "signal %d" % -rc
    return None


def describe(rc):
    return "was killed by %s" % signal_name(rc) if rc < 0 else "exited with status %d" % rc


def no_core():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run(exe, lib, env_extra, timeout=120):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARD_") and k != "LD_PRELOAD"}
    env["LD_PRELOAD"] = lib
    env.update(env_extra)
    try:
        p = subprocess.run([exe], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                           preexec_fn=no_core)
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode("utf-8", "replace"), (e.stderr or b"").decode("utf-8", "replace")
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def check(program, exp, lib, rc, out, err, report_mode, have_addr2line):
    """The list of what is wrong with one run (empty: as expected)."""
    problems = []
    if rc is None:
        return ["timed out"]
    m = re.search(r"^ERROR: ld\.so: .*cannot be preloaded.*$", err, re.M)
    if m:
        # E.g. the library being relinked at that moment: nothing to judge.
        return ["ward was not preloaded: " + m.group(0)]
    reports = parse_reports(err)
    m = re.search(r"^BUG_FINISHED ward=(.*)$", out, re.M)
    finished = m is not None
    if finished and os.path.realpath(m.group(1)) != os.path.realpath(lib):
        problems.append("the program ran with %s instead of %s" % (m.group(1), lib))
    if exp.outcome in ("miss", "clean"):
        if reports:
            problems.append("expected no report, got %d: %s" % (len(reports), reports[0]["line"]))
        if rc != 0 or not finished:
            problems.append("expected the program to run to its end and exit 0; it %s" % describe(rc))
        return problems
    if exp.outcome == "crash":
        if reports:
            problems.append("expected no report, got %d: %s" % (len(reports), reports[0]["line"]))
        if signal_name(rc) != "SIGSEGV":
            problems.append("expected death by SIGSEGV; the program %s" % describe(rc))
        return problems
    # detect
    if len(reports) != 1:
        problems.append("expected exactly one report of %r, got %d%s" % (
            exp.kind, len(reports), "".join("\n      " + r["line"] for r in reports)))
    if not reports:
        if rc == 0 and finished:
            problems.append("the bug went unnoticed: the program ran to its end and exited 0")
        else:
            problems.append("the program %s" % describe(rc))
        return problems
    r = reports[0]
    if r["kind"] != exp.kind:
        problems.append("expected kind %r, got %r (%s)" % (exp.kind, r["kind"], r["line"]))
    if exp.addr:
        m = re.search(r"^BUG_ADDR (0x[0-9a-f]+)$", err, re.M)
        if m is None:
            problems.append("the program did not announce the bug's address (BUG_ADDR)")
        elif r["addr"] != m.group(1):
            problems.append("the report names %s, the bug is at %s" % (r["addr"], m.group(1)))
    if exp.detail and not re.search(exp.detail, r["detail"]):
        problems.append("detail %r does not match /%s/" % (r["detail"], exp.detail))
    want = dict(exp.stacks)
    for label, fn in exp.stacks:
        frames = r["stacks"].get(label)
        if frames is None:
            if label not in exp.optional:
                problems.append("no %r stack in the report" % label)
            continue
        m = FRAME0_RE.search(frames[0])
        if m is None:
            problems.append("%s stack has no frame #0: %r" % (label, frames[0]))
            continue
        if fn is None:
            continue  # found in an exit handler: no frame of the program's own
        if m.group(1) != fn:
            problems.append("%s frame #0 is %r, expected %r" % (label, frames[0], fn))
        elif have_addr2line and not (m.group(2) or "").endswith(program + ".c"):
            problems.append("%s frame #0 has no %s.c:LINE: %r" % (label, program, frames[0]))
    for label in r["stacks"]:
        if label not in want:
            problems.append("unexpected %r stack (this mode records no such stack)" % label)
    if report_mode:
        if rc != 0 or not finished:
            problems.append("WARD_ON_ERROR=report: expected the program to go on to its end and exit 0; it %s"
                            % describe(rc))
    elif exp.death is None:
        if rc != 0 or not finished:
            problems.append("expected the program to end normally with status 0; it %s" % describe(rc))
    elif signal_name(rc) != exp.death:
        problems.append("expected death by %s; the program %s" % (exp.death, describe(rc)))
    return problems


def run_program(args):
    libs = {m: os.path.abspath(p) for m, p in (("fast", args.fast), ("hardened", args.hardened),
                                                ("debug", args.debug))}
    args.exe = os.path.abspath(args.exe)
    have_addr2line = shutil.which("addr2line") is not None
    rows = [r for r in TABLE if r["program"] == args.program]
    if not rows:
        print("run_bugs.py: no table row for %r" % args.program, file=sys.stderr)
        return 2
    failures = 0
    for r in rows:
        for mode in MODES:
            exp = r["expect"][mode]
            runs = [(False, dict(r["env"]))]
            if exp.outcome == "detect" and exp.death == "SIGABRT":
                runs.append((True, dict(r["env"], WARD_ON_ERROR="report")))
            for report_mode, env in runs:
                rc, out, err = run(args.exe, libs[mode], env)
                problems = check(args.program, exp, libs[mode], rc, out, err, report_mode, have_addr2line)
                envs = " ".join("%s=%s" % kv for kv in sorted(env.items()))
                name = "%-8s %s" % (mode, envs)
                expected = exp.outcome + (" " + exp.kind if exp.kind else "")
                if not problems:
                    print("ok    %s: %s" % (name, expected))
                    continue
                failures += 1
                print("FAIL  %s: expected %s" % (name, expected))
                if exp.bug:
                    print("      known ward bug: " + BUGS[exp.bug])
                for p in problems:
                    print("      - " + p)
                print("      reproduce: %s" % " ".join(filter(None, [envs, "LD_PRELOAD=" + libs[mode], args.exe])))
                print("      stderr:")
                for line in err.splitlines()[:60]:
                    print("        | " + line)
    print("%s: %d failed" % (args.program, failures))
    return 1 if failures else 0


def table():
    out = ["<!-- Generated by tests/bugs/run_bugs.py --table; edit the table there. -->",
           "# What each mode does with each memory bug",
           "",
           "The bug programs of [tests/bugs/](../tests/bugs/), each run with `LD_PRELOAD` of each mode's "
           "library; `ctest -L bugs` checks every cell (`tests/bugs/run_bugs.py`).",
           "",
           "- **kind** (abort): ward prints one report, `ward: error: KIND of 0xADDR (DETAIL)`, naming the "
           "bug's address, with the stacks listed (frame #0 of each is the named function of the program), "
           "then aborts (`SIGABRT`). Every such case is also run with `WARD_ON_ERROR=report`: the same "
           "single report, then the program goes on to its end and exits 0.",
           "- **kind** (SIGSEGV): a sampled block's fault, turned into a report before the program dies of "
           "the signal.",
           "- **kind** (at exit, status 0): the leak report at exit; the exit status is the program's.",
           "- no stacks: the mode records none, so the report shows none (fast mode prints "
           "`found here: (no stack recorded)`).",
           "- miss: no report, the program runs to its end and exits 0.",
           "- crash: fast mode acts on the pointer without looking at it, and the process dies of "
           "`SIGSEGV` inside `free`.",
           "- **FAILS** [n]: README.md promises this, ward does not do it today (note n below the table); "
           "the test checks the promise and fails.",
           "",
           "Run them with `ctest --test-dir build -L bugs`, one with e.g. "
           "`ctest --test-dir build -R '^bugs\\.free_wild$' --output-on-failure` (each failed check prints "
           "the command that reproduces it and ward's output).",
           "",
           "| program | what it does | fast (`libward.so`) | hardened (`libward-hardened.so`) | "
           "debug (`libward-debug.so`) |",
           "|---|---|---|---|---|"]
    notes = []
    for r in TABLE:
        cells = [r["expect"][m].cell(notes).replace("|", "\\|") for m in MODES]
        out.append("| `%s`%s | %s | %s |" % (
            r["program"], r["title"][len(r["program"]):], r["what"].replace("|", "\\|"), " | ".join(cells)))
    if notes:
        out += ["", "Where ward does not do what README.md says today:", ""]
        out += ["%d. %s" % (i + 1, BUGS[key]) for i, key in enumerate(notes)]
    out.append("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fast")
    ap.add_argument("--hardened")
    ap.add_argument("--debug")
    ap.add_argument("--exe")
    ap.add_argument("--table", action="store_true")
    ap.add_argument("--check-table")
    ap.add_argument("--known-bugs", action="store_true")
    ap.add_argument("program", nargs="?")
    args = ap.parse_args()
    if args.table:
        sys.stdout.write(table())
        return 0
    if args.known_bugs:
        names = []
        for r in TABLE:
            if any(r["expect"][m].bug for m in MODES) and r["program"] not in names:
                names.append(r["program"])
        sys.stdout.write(";".join(names))
        return 0
    if args.check_table:
        try:
            with open(args.check_table) as f:
                have = f.read()
        except OSError as e:
            print("run_bugs.py: %s" % e)
            return 1
        if have != table():
            print("%s is out of date: regenerate it with tests/bugs/run_bugs.py --table > %s"
                  % (args.check_table, args.check_table))
            return 1
        print("%s matches the driver's table" % args.check_table)
        return 0
    if not (args.fast and args.hardened and args.debug and args.exe and args.program):
        ap.error("--fast, --hardened, --debug, --exe and PROGRAM are needed")
    return run_program(args)


if __name__ == "__main__":
    sys.exit(main())
