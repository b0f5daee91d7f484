//! Rust allocation workloads, run by the three `rb-*` binaries (one per global
//! allocator) and timed by `bench/rust/run`.
//!
//! Usage: `rb-<allocator> WORKLOAD [SCALE]` (SCALE 1 = full size, about
//! 0.5-2 s each here). Prints one line:
//! `workload=NAME allocator=NAME ms=TIME check=HEX hwm_kib=PEAK_RSS [extra=...]`.
//! Every workload does a fixed amount of work from a fixed seed and checks its
//! own result; the runner also checks that all allocators print the same
//! `check` value. A wrong result prints `FAIL ...` and exits 1.

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::time::Instant;

pub mod mimalloc;
pub mod parser;

/// A small deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Folds a value into a checksum.
fn mix(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(0x100_0000_01b3).rotate_left(17)
}

pub const WORKLOADS: &[&str] = &["hashmap", "btree", "channel", "parser-box", "parser-arena"];

fn scaled(n: f64, scale: f64) -> usize {
    ((n * scale).round() as usize).max(1)
}

/// `HashMap<String, Vec<u64>>`: build, query, update, remove half, re-insert,
/// drop — several rounds.
fn hashmap(scale: f64) -> (u64, String) {
    let keys = scaled(100_000.0, scale);
    let mut rng = Rng::new(1);
    let mut check = 0u64;
    for round in 0..4u64 {
        let mut map: HashMap<String, Vec<u64>> = HashMap::new();
        for _ in 0..keys {
            let k = rng.below(keys as u64 * 2);
            let len = 1 + rng.below(12) as usize;
            map.entry(format!("key-{k}")).or_default().extend((0..len as u64).map(|i| k + i));
        }
        let mut hits = 0u64;
        for i in 0..keys as u64 * 2 {
            if let Some(v) = map.get(&format!("key-{}", (i * 7919 + round) % (keys as u64 * 2))) {
                hits += 1;
                check = mix(check, v.len() as u64 + v[0]);
            }
        }
        let mut keys_sorted: Vec<String> = map.keys().cloned().collect();
        keys_sorted.sort_unstable();
        for k in keys_sorted.iter().step_by(2) {
            map.remove(k);
        }
        for k in keys_sorted.iter().skip(1).step_by(4) {
            if let Some(v) = map.get_mut(k) {
                v.push(round);
                v.shrink_to_fit();
            }
        }
        for k in keys_sorted.iter().step_by(2).take(keys / 8) {
            map.insert(k.clone(), vec![round; 3]);
        }
        if hits == 0 || map.is_empty() {
            fail("hashmap", "no hits or empty map");
        }
        check = mix(check, map.len() as u64);
        check = mix(check, hits);
        black_box(&map);
    }
    (check, String::new())
}

/// `BTreeMap<u64, String>` and `BTreeMap<String, Vec<u32>>`: inserts, range
/// queries, removals.
fn btree(scale: f64) -> (u64, String) {
    let n = scaled(150_000.0, scale);
    let mut rng = Rng::new(2);
    let mut check = 0u64;
    for round in 0..3u64 {
        let mut by_id: BTreeMap<u64, String> = BTreeMap::new();
        let mut by_name: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for i in 0..n {
            let id = rng.below(n as u64 * 4);
            let name = format!("n{}", id % (n as u64 / 2 + 1));
            by_name.entry(name.clone()).or_default().push(i as u32);
            by_id.insert(id, name);
        }
        for _ in 0..n / 8 {
            let lo = rng.below(n as u64 * 4);
            let s: u64 = by_id.range(lo..lo + 64).map(|(k, v)| k ^ v.len() as u64).sum();
            check = mix(check, s);
        }
        let victims: Vec<u64> = by_id.keys().copied().filter(|k| k % 3 == round % 3).collect();
        for k in victims {
            if let Some(name) = by_id.remove(&k)
                && let Some(v) = by_name.get_mut(&name)
            {
                v.pop();
                if v.is_empty() {
                    by_name.remove(&name);
                }
            }
        }
        let total: usize = by_name.values().map(Vec::len).sum();
        check = mix(check, by_id.len() as u64);
        check = mix(check, total as u64);
        if by_id.is_empty() {
            fail("btree", "empty map");
        }
        black_box((&by_id, &by_name));
    }
    (check, String::new())
}

/// Batches of `Vec<String>` made by one thread and dropped by another (frees
/// of blocks allocated by another thread), plus a `HashMap` per batch.
fn channel(scale: f64) -> (u64, String) {
    let batches = scaled(40_000.0, scale);
    let (tx, rx) = std::sync::mpsc::sync_channel::<(Vec<String>, HashMap<u32, Vec<u8>>)>(16);
    let producer = std::thread::spawn(move || {
        let mut rng = Rng::new(3);
        let mut made = 0u64;
        for b in 0..batches {
            let strings: Vec<String> = (0..200).map(|i| "x".repeat(1 + (rng.below(120) as usize + i) % 200)).collect();
            let map: HashMap<u32, Vec<u8>> = (0..50).map(|i| (i, vec![b as u8; 1 + rng.below(500) as usize])).collect();
            made += strings.iter().map(|s| s.len() as u64).sum::<u64>();
            made += map.values().map(|v| v.len() as u64).sum::<u64>();
            tx.send((strings, map)).expect("consumer alive");
        }
        made
    });
    let mut seen = 0u64;
    let mut check = 0u64;
    for (strings, map) in rx {
        seen += strings.iter().map(|s| s.len() as u64).sum::<u64>();
        seen += map.values().map(|v| v.len() as u64).sum::<u64>();
        check = mix(check, strings.len() as u64 ^ map.len() as u64);
    }
    let made = producer.join().expect("producer");
    if made != seen {
        fail("channel", &format!("made {made} bytes, saw {seen}"));
    }
    (mix(check, seen), String::new())
}

/// The process's peak resident set (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

pub fn fail(workload: &str, why: &str) -> ! {
    println!("FAIL {workload}: {why}");
    std::process::exit(1);
}

/// The measured part of a workload (a function of its own, so that
/// `valgrind --tool=callgrind --toggle-collect='*run_workload*'` counts it
/// alone).
#[inline(never)]
pub fn run_workload(workload: &str, scale: f64, docs: &[String]) -> (u64, String) {
    match workload {
        "hashmap" => hashmap(scale),
        "btree" => btree(scale),
        "channel" => channel(scale),
        "parser-box" => parser::run_box(scale, docs),
        "parser-arena" => parser::run_arena(scale, docs),
        other => fail(other, "unknown workload"),
    }
}

/// Runs one workload; returns the exit status.
pub fn main(allocator: &str) -> i32 {
    let args: Vec<String> = std::env::args().collect();
    let Some(workload) = args.get(1) else {
        eprintln!("usage: {} WORKLOAD [SCALE]\nworkloads: {}", args[0], WORKLOADS.join(" "));
        return 2;
    };
    let scale: f64 = args.get(2).map(|s| s.parse().expect("SCALE is a number")).unwrap_or(1.0);
    if !WORKLOADS.contains(&workload.as_str()) {
        eprintln!("unknown workload {workload}; workloads: {}", WORKLOADS.join(" "));
        return 2;
    }
    // Input made before the clock starts.
    let docs = if workload.starts_with("parser") { parser::documents() } else { Vec::new() };
    let start = Instant::now();
    let (check, extra) = run_workload(workload, scale, &docs);
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let extra = if extra.is_empty() { String::new() } else { format!(" {extra}") };
    println!(
        "workload={workload} allocator={allocator} ms={ms:.3} check={check:016x} hwm_kib={}{extra}",
        peak_rss_kib()
    );
    0
}
