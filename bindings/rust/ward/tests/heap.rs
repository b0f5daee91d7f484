//! ward::Heap and HeapBox: ownership, drops, leaks, zero-sized types,
//! alignment, threads, errors.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ward::{Heap, HeapBox};

struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn boxes_drop_their_values() {
    let drops = Arc::new(AtomicUsize::new(0));
    let heap = Heap::new();
    let boxes: Vec<_> = (0..1000).map(|_| heap.alloc(Counted(drops.clone()))).collect();
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    drop(boxes);
    assert_eq!(drops.load(Ordering::Relaxed), 1000);
    let slice = heap.alloc_slice_fill_with(10, |_| Counted(drops.clone()));
    drop(slice);
    assert_eq!(drops.load(Ordering::Relaxed), 1010);
}

#[test]
fn contents_and_sizes() {
    let heap = Heap::new();
    let mut v = heap.alloc(Vec::with_capacity(10));
    v.extend(0..100u32);
    assert_eq!(v.iter().sum::<u32>(), 4950);
    let s = heap.alloc_str("héllo");
    assert_eq!(&*s, "héllo");
    assert_eq!(s.to_string(), "héllo");
    let big = heap.alloc_slice_copy(&vec![7u8; 5 << 20]);
    assert!(big.iter().all(|&b| b == 7));
    let mut arr = heap.alloc([0u64; 1000]);
    arr[999] = 1;
    assert_eq!(arr.iter().sum::<u64>(), 1);
    assert_eq!(format!("{:?}", heap.alloc(Some(3))), "Some(3)");
    assert_eq!(heap.alloc(5), heap.alloc(5));
    assert_eq!(heap.alloc(String::from("x")).into_inner(), "x");
}

#[test]
fn zero_sized_values() {
    let heap = Heap::new();
    let unit = heap.alloc(());
    assert_eq!(*unit, ());
    let empty: HeapBox<'_, [u32]> = heap.alloc_slice_copy(&[]);
    assert!(empty.is_empty());
    let units = heap.alloc_slice_copy(&[(); 100]);
    assert_eq!(units.len(), 100);
    assert_eq!(&*heap.alloc_str(""), "");
    let drops = Arc::new(AtomicUsize::new(0));
    struct Z;
    impl Drop for Z {
        fn drop(&mut self) {}
    }
    drop(heap.alloc_slice_fill_with(50, |_| Z));
    drop(heap.alloc(Counted(drops.clone())));
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    let () = heap.alloc(()).into_inner();
}

#[repr(C, align(4096))]
#[derive(Clone, Copy)]
struct Page([u8; 4096]);

#[repr(C, align(32))]
struct Small(u8);

#[test]
fn large_alignments() {
    let heap = Heap::new();
    let pages: Vec<_> = (0..50u8).map(|i| heap.alloc(Page([i; 4096]))).collect();
    for (i, p) in pages.iter().enumerate() {
        assert_eq!(HeapBox::as_ptr(p) as usize % 4096, 0);
        assert!(p.0.iter().all(|&b| b == i as u8));
    }
    let slice = heap.alloc_slice_copy(&[Page([1; 4096]); 3]);
    assert_eq!(slice.as_ptr() as usize % 4096, 0);
    let small: Vec<_> = (0..100).map(|i| heap.alloc(Small(i))).collect();
    assert!(small.iter().all(|s| HeapBox::as_ptr(s) as usize % 32 == 0));
    assert_eq!(small[99].0, 99);
}

/// Alignments above a page, up to 1 MiB, and a zero-sized type aligned to
/// 4 MiB (which takes no block).
#[test]
fn alignments_above_a_page() {
    #[repr(C, align(65536))]
    struct A64k(u8);
    #[repr(C, align(1048576))]
    struct A1m(u8);
    #[repr(align(4194304))]
    struct Z4m;
    // A 1 MiB value passes by value through a few frames: a roomy stack.
    let worker = std::thread::Builder::new().stack_size(64 << 20);
    worker
        .spawn(|| {
            let heap = Heap::new();
            let a: Vec<_> = (0..20).map(|i| heap.alloc(A64k(i))).collect();
            assert!(a.iter().enumerate().all(|(i, b)| HeapBox::as_ptr(b) as usize % 65536 == 0 && b.0 == i as u8));
            let m: Vec<_> = (0..4).map(|i| heap.alloc(A1m(i))).collect();
            assert!(m.iter().enumerate().all(|(i, b)| HeapBox::as_ptr(b) as usize % (1 << 20) == 0 && b.0 == i as u8));
            let s = heap.alloc_slice_fill_with(3, |i| A64k(i as u8));
            assert_eq!((s.as_ptr() as usize % 65536, s[2].0), (0, 2));
            let z = heap.alloc(Z4m);
            assert_eq!(HeapBox::as_ptr(&z) as usize % (4 << 20), 0);
            drop((a, m, s, z));
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn leaked_boxes_live_until_the_heap_goes() {
    let heap = Heap::new();
    let leaked: Vec<&mut [u64]> =
        (0..10_000).map(|i| HeapBox::leak(heap.alloc_slice_fill_with(8, |j| (i * 8 + j) as u64))).collect();
    assert_eq!(leaked[9999][7], 79_999);
    drop(leaked);
    drop(heap); // releases the 10 000 blocks at once
}

#[test]
fn a_panicking_fill_drops_what_it_made() {
    let drops = Arc::new(AtomicUsize::new(0));
    let heap = Heap::new();
    let r = catch_unwind(AssertUnwindSafe(|| {
        heap.alloc_slice_fill_with(8, |i| {
            assert!(i < 3, "element 3");
            Counted(drops.clone())
        })
    }));
    assert!(r.is_err());
    assert_eq!(drops.load(Ordering::Relaxed), 3);
}

#[test]
fn boxes_are_freed_from_other_threads() {
    let heap = Heap::new();
    let boxes: Vec<HeapBox<'_, Vec<u64>>> = (0..1000).map(|i| heap.alloc(vec![i; 10])).collect();
    let total = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let mut boxes = boxes.into_iter();
        for _ in 0..4 {
            let part: Vec<_> = boxes.by_ref().take(250).collect();
            let total = &total;
            s.spawn(move || {
                let sum: u64 = part.iter().map(|b| b.iter().sum::<u64>()).sum();
                total.fetch_add(sum as usize, Ordering::Relaxed);
                drop(part); // freed in this thread
            });
        }
        // Meanwhile the owning thread keeps allocating from the heap.
        for i in 0..1000u64 {
            assert_eq!(*heap.alloc(i), i);
        }
    });
    assert_eq!(total.load(Ordering::Relaxed), (0..1000).sum::<usize>() * 10);
}

#[test]
fn a_heap_moves_between_threads() {
    let mut heap = Heap::new();
    for round in 0..4u64 {
        heap = std::thread::spawn(move || {
            {
                let kept: Vec<_> = (0..100).map(|i| HeapBox::leak(heap.alloc(i * round))).collect();
                assert_eq!(*kept[99], 99 * round);
            }
            heap
        })
        .join()
        .unwrap();
    }
    drop(heap);
}

#[test]
fn errors_instead_of_aborting() {
    let heap = Heap::try_new().unwrap();
    assert!(heap.try_alloc_slice_fill_with(usize::MAX / 2, |_| 0u8).is_err());
    assert!(heap.try_alloc_slice_fill_with(isize::MAX as usize / 2, |_| 0u8).is_err());
    assert_eq!(*heap.try_alloc(1u16).unwrap(), 1);
    assert_eq!(&*heap.try_alloc_slice_copy(&[1, 2]).unwrap(), &[1, 2]);
    assert_eq!(&*heap.try_alloc_str("a").unwrap(), "a");
    assert!(format!("{heap:?}").starts_with("Heap"));
}

#[test]
fn many_heaps() {
    let heaps: Vec<Heap> = (0..64).map(|_| Heap::default()).collect();
    for (i, h) in heaps.iter().enumerate() {
        let b = HeapBox::leak(h.alloc_slice_fill_with(1000, |j| (i + j) as u32));
        assert_eq!(b[999], (i + 999) as u32);
    }
}
