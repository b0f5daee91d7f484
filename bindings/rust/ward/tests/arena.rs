//! ward::Arena: drop order, reset, zero-sized types, alignment, big
//! allocations, panics, scopes, errors.

use std::alloc::Layout;
use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use ward::{AllocError, Arena};

type Log = Rc<RefCell<Vec<u32>>>;

/// Records its number in the log when dropped.
struct Noisy(u32, Log);

impl Drop for Noisy {
    fn drop(&mut self) {
        self.1.borrow_mut().push(self.0);
    }
}

#[test]
fn drops_newest_first_on_reset_and_on_drop() {
    let log: Log = Rc::default();
    let mut arena = Arena::new();
    for i in 0..5 {
        let n = arena.alloc(Noisy(i, log.clone()));
        assert_eq!(n.0, i);
    }
    assert!(log.borrow().is_empty());
    arena.reset();
    assert_eq!(*log.borrow(), [4, 3, 2, 1, 0]);

    log.borrow_mut().clear();
    arena.alloc(Noisy(10, log.clone()));
    arena.alloc_slice_fill_with(3, |i| Noisy(20 + i as u32, log.clone()));
    arena.alloc(Noisy(30, log.clone()));
    drop(arena);
    // Newest first; a slice's elements in order.
    assert_eq!(*log.borrow(), [30, 20, 21, 22, 10]);
}

#[test]
fn values_may_borrow_what_outlives_the_arena() {
    let counter = Cell::new(0);
    struct Count<'c>(&'c Cell<u32>);
    impl Drop for Count<'_> {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    {
        let arena = Arena::new();
        for _ in 0..100 {
            arena.alloc(Count(&counter));
        }
        assert_eq!(counter.get(), 0);
    }
    assert_eq!(counter.get(), 100);
}

#[test]
fn owned_values_are_usable_and_dropped() {
    let mut arena: Arena<'static> = Arena::new();
    for round in 0..3 {
        let v = arena.alloc(Vec::new());
        for i in 0..1000u64 {
            v.push(i * round);
        }
        let s = arena.alloc(String::from("text"));
        s.push_str(" more");
        let map = arena.alloc(std::collections::HashMap::new());
        map.insert("k", v.len());
        assert_eq!((v[999], s.as_str(), map["k"]), (999 * round, "text more", 1000));
        arena.reset();
        assert_eq!(arena.used(), 0);
    }
}

#[test]
fn reset_reuses_the_memory() {
    let mut arena = Arena::new();
    let first = arena.alloc(1u64) as *mut u64 as usize;
    for i in 0..10_000u64 {
        arena.alloc(i);
    }
    let reserved = arena.reserved();
    assert!(arena.used() >= 80_000);
    arena.reset();
    assert_eq!(arena.used(), 0);
    assert!(arena.reserved() <= reserved);
    let again = arena.alloc(2u64) as *mut u64 as usize;
    assert_eq!(first % 8, 0);
    assert_eq!(again % 8, 0);
    // The kept chunk serves the next allocations.
    assert!(arena.reserved() > 0);
}

#[test]
fn zero_sized_types() {
    let arena = Arena::new();
    let unit = arena.alloc(());
    *unit = ();
    let empty: &mut [u64] = arena.alloc_slice_copy(&[]);
    assert!(empty.is_empty());
    let units = arena.alloc_slice_copy(&[(); 1000]);
    assert_eq!(units.len(), 1000);
    let s = arena.alloc_str("");
    assert_eq!(s, "");
    let filled = arena.alloc_slice_fill_with(0, |_| String::new());
    assert!(filled.is_empty());
    // Nothing taken from the arena for any of these.
    assert_eq!(arena.used(), 0);

    // A zero-sized type with a destructor is still dropped, newest first.
    thread_local!(static DROPS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) });
    struct Zst<const N: u32>;
    impl<const N: u32> Drop for Zst<N> {
        fn drop(&mut self) {
            DROPS.with(|d| d.borrow_mut().push(N));
        }
    }
    let mut arena = Arena::new();
    arena.alloc(Zst::<1>);
    arena.alloc(Zst::<2>);
    arena.alloc_slice_fill_with(3, |_| Zst::<3>);
    arena.reset();
    DROPS.with(|d| assert_eq!(*d.borrow(), [3, 3, 3, 2, 1]));
}

#[repr(C, align(4096))]
struct Page([u8; 4096]);

#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct Line(u8);

#[test]
fn large_alignments() {
    let arena = Arena::with_chunk_size(4096);
    for i in 0..20u8 {
        let small = arena.alloc(i);
        assert_eq!(*small, i);
        let page = arena.alloc(Page([i; 4096]));
        assert_eq!(page as *mut Page as usize % 4096, 0);
        assert!(page.0.iter().all(|&b| b == i));
        let line = arena.alloc_copy(Line(i));
        assert_eq!(line as *mut Line as usize % 64, 0);
        let lines = arena.alloc_slice_copy(&[Line(i); 3]);
        assert_eq!(lines.as_ptr() as usize % 64, 0);
    }
    for shift in 0..=20 {
        let align = 1usize << shift;
        let p = arena.alloc_layout(Layout::from_size_align(24, align).unwrap());
        assert_eq!(p.as_ptr() as usize % align, 0, "align {align}");
        let z = arena.alloc_layout(Layout::from_size_align(0, align).unwrap());
        assert_eq!(z.as_ptr() as usize % align, 0, "zero-sized, align {align}");
    }
}

#[test]
fn allocations_bigger_than_the_chunks() {
    let mut arena = Arena::with_chunk_size(4096);
    let big: Vec<u32> = (0..1_000_000).collect();
    let copy = arena.alloc_slice_copy(&big);
    assert_eq!(copy[999_999], 999_999);
    let small = arena.alloc_str("still fine");
    assert_eq!(small, "still fine");
    assert!(arena.reserved() >= 4_000_000);
    assert!(arena.used() >= 4_000_000);
    arena.reset();
    assert!(arena.reserved() < 4_000_000, "the big chunk is released by reset");
}

#[test]
fn strings_and_slices() {
    let arena = Arena::new();
    let words: Vec<&str> = (0..1000).map(|i| &*arena.alloc_str(&format!("word{i}"))).collect();
    assert_eq!(words[500], "word500");
    let refs = arena.alloc_slice_copy(&words);
    assert_eq!(refs[999], "word999");
    let numbers = arena.alloc_slice_fill_with(100, |i| i as u64 * 3);
    assert_eq!(numbers.iter().sum::<u64>(), 3 * 4950);
    let uninit = arena.alloc_uninit::<[u32; 8]>();
    let arr = uninit.write([7; 8]);
    assert_eq!(arr[7], 7);
}

#[test]
fn a_panicking_fill_drops_what_it_made() {
    let log: Log = Rc::default();
    let mut arena = Arena::new();
    let result = catch_unwind(AssertUnwindSafe(|| {
        arena.alloc_slice_fill_with(10, |i| {
            if i == 5 {
                panic!("element 5");
            }
            Noisy(i as u32, log.clone())
        });
    }));
    assert!(result.is_err());
    assert_eq!(*log.borrow(), [0, 1, 2, 3, 4]);
    // The arena is still fine, and has nothing left to drop for that slice.
    arena.alloc(Noisy(99, log.clone()));
    arena.reset();
    assert_eq!(*log.borrow(), [0, 1, 2, 3, 4, 99]);
}

#[test]
fn scopes_rewind_and_drop_what_they_allocated() {
    let log: Log = Rc::default();
    let mut arena = Arena::new();
    arena.alloc(Noisy(1, log.clone()));
    let used = arena.used();
    let sum = arena.scope(|a| {
        a.alloc(Noisy(2, log.clone()));
        a.alloc(Noisy(3, log.clone()));
        a.alloc_slice_fill_with(1000, |i| i as u64).iter().sum::<u64>()
    });
    assert_eq!(sum, 499_500);
    assert_eq!(*log.borrow(), [3, 2]);
    assert_eq!(arena.used(), used);

    // Rewound on panic too.
    let result = catch_unwind(AssertUnwindSafe(|| {
        arena.scope(|a| {
            a.alloc(Noisy(4, log.clone()));
            panic!("inside a scope");
        })
    }));
    assert!(result.is_err());
    assert_eq!(*log.borrow(), [3, 2, 4]);
    assert_eq!(arena.used(), used);

    // Many scopes in a row reach a steady state.
    for _ in 0..1000 {
        arena.scope(|a| {
            a.alloc_str("request");
            a.alloc(String::from("owned"));
        });
    }
    assert_eq!(arena.used(), used);
    drop(arena);
    assert_eq!(*log.borrow(), [3, 2, 4, 1]);
}

#[test]
fn errors_instead_of_aborting() {
    assert_eq!(Arena::try_with_chunk_size(Arena::MAX_CHUNK_SIZE + 1).unwrap_err(), AllocError);
    assert!(Arena::try_with_chunk_size(Arena::MAX_CHUNK_SIZE).is_ok());
    let arena = Arena::try_new().unwrap();
    let huge = Layout::from_size_align(isize::MAX as usize - 65536, 16).unwrap();
    assert_eq!(arena.try_alloc_layout(huge), Err(AllocError));
    let mut called = false;
    let r = arena.try_alloc_slice_fill_with(usize::MAX / 8, |_| {
        called = true;
        0u64
    });
    assert!(r.is_err());
    assert!(!called, "f is not called when the memory cannot be had");
    // Large but representable: ward refuses it.
    assert!(arena.try_alloc_slice_fill_with(isize::MAX as usize / 16, |_| 0u64).is_err());
    assert_eq!(*arena.try_alloc(5u8).unwrap(), 5);
    assert_eq!(arena.try_alloc_str("ok").unwrap(), "ok");
    assert_eq!(arena.try_alloc_slice_copy(&[1, 2]).unwrap(), &[1, 2]);
    assert_eq!(*arena.try_alloc_copy('x').unwrap(), 'x');
}

#[test]
#[should_panic(expected = "chunk size")]
fn an_oversized_chunk_panics() {
    let _ = Arena::with_chunk_size(Arena::MAX_CHUNK_SIZE + 1);
}

#[test]
fn many_values_many_rounds() {
    let drops = Rc::new(Cell::new(0usize));
    struct D(Rc<Cell<usize>>, #[allow(dead_code)] [u8; 24]);
    impl Drop for D {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let mut arena = Arena::with_chunk_size(8192);
    for round in 1..=5 {
        for _ in 0..20_000 {
            arena.alloc(D(drops.clone(), [0; 24]));
            arena.alloc_str("padding");
        }
        arena.reset();
        assert_eq!(drops.get(), round * 20_000);
    }
}

#[test]
fn debug_and_default() {
    let arena: Arena<'_> = Arena::default();
    arena.alloc(1u8);
    let text = format!("{arena:?}");
    assert!(text.starts_with("Arena { used: "), "{text}");
    assert!(!arena.as_raw().is_null());
}
