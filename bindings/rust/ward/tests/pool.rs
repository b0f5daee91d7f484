//! ward::Pool and PoolBox: reuse, counts, drops, zero-sized types,
//! alignment, threads.

use std::cell::Cell;
use std::collections::HashSet;
use std::rc::Rc;

use ward::{Pool, PoolBox};

#[test]
fn slots_come_back() {
    let pool = Pool::new();
    let a = pool.alloc([1u64; 8]);
    let addr = PoolBox::as_ptr(&a) as usize;
    assert_eq!(pool.live(), 1);
    drop(a);
    assert_eq!(pool.live(), 0);
    let b = pool.alloc([2u64; 8]);
    assert_eq!(PoolBox::as_ptr(&b) as usize, addr);
    assert_eq!(b[7], 2);
    assert_eq!(pool.object_size(), 64);
}

#[test]
fn values_are_dropped_and_counted() {
    let drops = Rc::new(Cell::new(0));
    struct D(Rc<Cell<u32>>, #[allow(dead_code)] u64);
    impl Drop for D {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let pool = Pool::new();
    let mut boxes: Vec<_> = (0..10_000).map(|i| pool.alloc(D(drops.clone(), i))).collect();
    assert_eq!(pool.live(), 10_000);
    assert!(pool.reserved() >= 10_000 * 16);
    let distinct: HashSet<usize> = boxes.iter().map(|b| PoolBox::as_ptr(b) as usize).collect();
    assert_eq!(distinct.len(), 10_000);
    boxes.truncate(5000);
    assert_eq!((drops.get(), pool.live()), (5000, 5000));
    let inner = boxes.pop().unwrap().into_inner();
    assert_eq!(pool.live(), 4999);
    drop(inner);
    assert_eq!(drops.get(), 5001);
    drop(boxes);
    assert_eq!((drops.get(), pool.live()), (10_000, 0));
}

#[test]
fn zero_sized_objects() {
    let pool: Pool<()> = Pool::new();
    let units: Vec<_> = (0..100).map(|_| pool.alloc(())).collect();
    assert_eq!(pool.live(), 100);
    assert_eq!(pool.object_size(), 0);
    drop(units);
    assert_eq!(pool.live(), 0);
}

#[repr(C, align(4096))]
struct Page([u8; 4096]);

#[test]
fn large_alignments() {
    let pool = Pool::new();
    let pages: Vec<_> = (0..40u8).map(|i| pool.alloc(Page([i; 4096]))).collect();
    for (i, p) in pages.iter().enumerate() {
        assert_eq!(PoolBox::as_ptr(p) as usize % 4096, 0);
        assert!(p.0.iter().all(|&b| b == i as u8));
    }
    // Big objects (up to 1 MiB; this one is kept small enough to pass by
    // value on a test thread's stack).
    let big: Pool<[u8; 64 << 10]> = Pool::new();
    let b = big.alloc([3; 64 << 10]);
    assert_eq!(b[(64 << 10) - 1], 3);
    assert_eq!(big.object_size(), 64 << 10);
}

/// The largest objects at the largest alignment a `Pool` takes (a 1 MiB
/// object aligned to 512 KiB fills a 2 MiB chunk with its header). At 1 MiB
/// alignment ward's chunks outgrow 2 MiB and `ward_pool_free` refused the
/// pool's own objects; `Pool` now rejects such types at compile time.
#[test]
fn the_largest_objects_at_the_largest_alignment() {
    #[repr(C, align(524288))]
    struct Big([u8; 1 << 20]);
    #[repr(align(524288))]
    struct Zst;
    // Values of 1 MiB pass by value through a few frames: a roomy stack.
    let worker = std::thread::Builder::new().stack_size(64 << 20);
    worker
        .spawn(|| {
            let pool: Pool<Big> = Pool::new();
            for round in 0..3u8 {
                let boxes: Vec<_> = (0..5u8).map(|i| pool.alloc(Big([round ^ i; 1 << 20]))).collect();
                for (i, b) in boxes.iter().enumerate() {
                    assert_eq!(PoolBox::as_ptr(b) as usize % Pool::<Big>::MAX_ALIGN, 0);
                    assert_eq!(b.0[(1 << 20) - 1], round ^ i as u8);
                }
                assert_eq!(pool.live(), 5);
                drop(boxes); // each goes back to the pool
                assert_eq!(pool.live(), 0);
            }
            let zsts: Pool<Zst> = Pool::new();
            let boxes: Vec<_> = (0..10).map(|_| zsts.alloc(Zst)).collect();
            assert!(boxes.iter().all(|b| PoolBox::as_ptr(b) as usize % (512 << 10) == 0));
            drop(boxes);
            assert_eq!(zsts.live(), 0);
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn leaked_boxes_stay_until_the_pool_goes() {
    let pool = Pool::new();
    let refs: Vec<&mut String> = (0..100).map(|i| PoolBox::leak(pool.alloc(format!("{i}")))).collect();
    assert_eq!(refs[42], "42");
    assert_eq!(pool.live(), 100);
    // (The Strings are leaked like Box::leak: not dropped.)
}

#[test]
fn a_tree_of_pool_nodes() {
    struct Node<'p> {
        key: u32,
        left: Option<PoolBox<'p, Node<'p>>>,
        right: Option<PoolBox<'p, Node<'p>>>,
    }
    fn insert<'p>(pool: &'p Pool<Node<'p>>, slot: &mut Option<PoolBox<'p, Node<'p>>>, key: u32) {
        match slot {
            None => *slot = Some(pool.alloc(Node { key, left: None, right: None })),
            Some(n) if key < n.key => insert(pool, &mut n.left, key),
            Some(n) => insert(pool, &mut n.right, key),
        }
    }
    fn sum(n: &Option<PoolBox<'_, Node<'_>>>) -> u64 {
        n.as_ref().map_or(0, |n| n.key as u64 + sum(&n.left) + sum(&n.right))
    }
    let pool = Pool::new();
    let mut root = None;
    let mut x = 12345u32;
    for _ in 0..5000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        insert(&pool, &mut root, x >> 8);
    }
    assert_eq!(pool.live(), 5000);
    assert!(sum(&root) > 0);
    drop(root);
    assert_eq!(pool.live(), 0);
}

#[test]
fn a_pool_moves_between_threads() {
    let mut pool: Pool<Vec<u8>> = Pool::new();
    for round in 0..3u8 {
        pool = std::thread::spawn(move || {
            {
                let b = pool.alloc(vec![round; 10]);
                assert_eq!(b[9], round);
            }
            pool
        })
        .join()
        .unwrap();
    }
    assert_eq!(pool.live(), 0);
    assert!(format!("{pool:?}").contains("live: 0"));
}

/// Regression test: a pool whose chunk was allocated by a thread that has
/// exited, when another thread adopts that thread's abandoned segment.
/// ward's adoption used to clear the chunk's "owned" page flag, after which
/// `ward_pool_free` refused the pool's own objects ("invalid pool free").
#[test]
fn a_pool_outlives_the_thread_that_grew_it() {
    let pool: Pool<[u64; 3]> = Pool::new();
    // The pool's first chunk comes from this short-lived thread's heap.
    let pool = std::thread::spawn(move || {
        drop(pool.alloc([1; 3]));
        pool
    })
    .join()
    .unwrap();
    // This thread needs memory: it adopts the exited thread's segment.
    // SAFETY: each block is freed once, not used.
    unsafe {
        let blocks: Vec<_> = (0..400).map(|_| ward::sys::ward_malloc(70_000)).collect();
        for b in blocks {
            ward::sys::ward_free(b);
        }
    }
    let b = pool.alloc([2; 3]);
    assert_eq!(b[2], 2);
    drop(b);
    assert_eq!(pool.live(), 0);
}

#[test]
fn try_variants() {
    let pool = Pool::<u64>::try_new().unwrap();
    let b = pool.try_alloc(8).unwrap();
    assert_eq!(*b, 8);
    assert_eq!(b.to_string(), "8");
}
