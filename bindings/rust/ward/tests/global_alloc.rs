//! A whole program on ward: `ward::Ward` is this test binary's global
//! allocator (the test harness included). Collections are churned across
//! threads, blocks are freed by threads other than the one that allocated
//! them, and over-aligned types grow through `realloc`.

use std::collections::{BTreeMap, HashMap};
use std::sync::mpsc;
use std::thread;

#[global_allocator]
static GLOBAL: ward::Ward = ward::Ward;

#[test]
fn ward_serves_the_global_allocator() {
    let before = ward::stats().huge_blocks;
    let big: Vec<u8> = vec![1; 64 << 20]; // a huge block of ward's
    assert_eq!(ward::stats().huge_blocks, before + 1);
    assert_eq!(big.iter().map(|&b| b as usize).sum::<usize>(), 64 << 20);
    drop(big);
    assert!(ward::stats().segments > 0);
}

/// A small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn collections_churned_across_threads() {
    const THREADS: u64 = 4;
    const ROUNDS: u64 = 30;
    let (tx, rx) = mpsc::sync_channel::<(u64, HashMap<String, Vec<u64>>, Vec<String>)>(8);
    // A consumer that checks and frees what the producers allocated.
    let consumer = thread::spawn(move || {
        let mut checked = 0u64;
        for (seed, map, strings) in rx {
            for (k, v) in &map {
                let n: u64 = k.strip_prefix("key").unwrap().parse().unwrap();
                assert_eq!(v.len() as u64, n % 17 + 1, "seed {seed}");
                assert!(v.iter().all(|&x| x == n));
            }
            assert!(strings.iter().all(|s| s.starts_with('s')));
            checked += map.len() as u64 + strings.len() as u64;
        }
        checked
    });
    let producers: Vec<_> = (0..THREADS)
        .map(|t| {
            let tx = tx.clone();
            thread::spawn(move || {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t + 1));
                let mut sent = 0u64;
                let mut kept: BTreeMap<u64, Box<[u8]>> = BTreeMap::new();
                for round in 0..ROUNDS {
                    let mut map = HashMap::new();
                    for _ in 0..300 {
                        let n = rng.next() % 5000;
                        map.insert(format!("key{n}"), vec![n; (n % 17 + 1) as usize]);
                    }
                    let strings: Vec<String> =
                        (0..200).map(|i| format!("s{}", "x".repeat((i * round) as usize % 300))).collect();
                    // Some blocks of random sizes stay in this thread a while.
                    for _ in 0..50 {
                        let size = (rng.next() % 20_000) as usize;
                        kept.insert(rng.next() % 500, vec![round as u8; size].into_boxed_slice());
                    }
                    sent += map.len() as u64 + strings.len() as u64;
                    tx.send((t, map, strings)).unwrap();
                }
                assert!(kept.values().all(|b| b.iter().all(|&x| (x as u64) < ROUNDS)));
                sent
            })
        })
        .collect();
    drop(tx);
    let sent: u64 = producers.into_iter().map(|p| p.join().unwrap()).sum();
    assert_eq!(consumer.join().unwrap(), sent);
}

#[test]
fn short_lived_threads_hand_blocks_over() {
    let mut survivors = Vec::new();
    for round in 0..50u32 {
        let handles: Vec<_> = (0..4u32)
            .map(|t| {
                thread::spawn(move || {
                    let mut v: Vec<String> = (0..300).map(|i| format!("{round}-{t}-{i}")).collect();
                    v.truncate(100); // the rest is freed here
                    v
                })
            })
            .collect();
        for h in handles {
            survivors.push(h.join().unwrap()); // freed later, by this thread
        }
        if survivors.len() > 40 {
            survivors.drain(..20);
        }
    }
    assert!(survivors.iter().all(|v| v.len() == 100));
}

#[repr(C, align(4096))]
#[derive(Clone, Copy)]
struct Page([u64; 512]);

#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct Line(u64);

#[test]
fn over_aligned_types_grow_and_shrink() {
    let mut pages: Vec<Page> = Vec::new();
    for i in 0..300u64 {
        pages.push(Page([i; 512]));
        assert_eq!(pages.as_ptr() as usize % 4096, 0);
    }
    assert!(pages.iter().enumerate().all(|(i, p)| p.0[511] == i as u64));
    pages.truncate(3);
    pages.shrink_to_fit();
    assert_eq!(pages.as_ptr() as usize % 4096, 0);
    assert_eq!(pages[2].0[0], 2);

    let mut lines: Vec<Line> = Vec::with_capacity(1);
    for i in 0..100_000u64 {
        lines.push(Line(i));
        if i % 10_000 == 0 {
            assert_eq!(lines.as_ptr() as usize % 64, 0);
        }
    }
    assert_eq!(lines.iter().map(|l| l.0).sum::<u64>(), (0..100_000).sum::<u64>());
    let boxed = Box::new(Page([9; 512]));
    assert_eq!(&*boxed as *const Page as usize % 4096, 0);
}

#[test]
fn the_safe_types_work_under_the_global_allocator_too() {
    let mut arena = ward::Arena::new();
    let v = arena.alloc(vec![String::from("a"); 100]);
    assert_eq!(v.len(), 100);
    arena.reset();
    let heap = ward::Heap::new();
    let b = heap.alloc(HashMap::from([(1, "one")]));
    assert_eq!(b[&1], "one");
    let pool = ward::Pool::new();
    let p = pool.alloc(String::from("pooled"));
    assert_eq!(*p, "pooled");
}
