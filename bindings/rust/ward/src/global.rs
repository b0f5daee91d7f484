use std::alloc::{GlobalAlloc, Layout};
use std::ptr;

use ward_sys as sys;

/// Every ward block of 16 bytes or more is 16-byte aligned.
const MIN_ALIGN: usize = 16;

/// ward as Rust's global allocator.
///
/// ```
/// #[global_allocator]
/// static GLOBAL: ward::Ward = ward::Ward;
///
/// fn main() {
///     let v: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
///     assert_eq!(v[999], "999");
/// }
/// ```
///
/// It can also be called directly, like any [`GlobalAlloc`]:
///
/// ```
/// use std::alloc::{GlobalAlloc, Layout};
/// let layout = Layout::from_size_align(100, 4096).unwrap();
/// // SAFETY: the layout has a non-zero size; the block is freed once with
/// // the same layout.
/// unsafe {
///     let p = ward::Ward.alloc(layout);
///     assert!(!p.is_null() && p as usize % 4096 == 0);
///     ward::Ward.dealloc(p, layout);
/// }
/// ```
///
/// Alignment: requests aligned to at most 16 bytes and at least as large as
/// their alignment go to `ward_malloc` (whose blocks are naturally aligned);
/// others to `ward_aligned_alloc`. `realloc` keeps the alignment: it calls
/// `ward_realloc` (in place when ward can) where that keeps it, and otherwise
/// stays in place when the block already fits, or moves the data to a new
/// aligned block.
#[derive(Debug, Default, Clone, Copy)]
pub struct Ward;

#[inline]
fn malloc_aligns(layout_align: usize, size: usize) -> bool {
    layout_align <= MIN_ALIGN && layout_align <= size
}

// SAFETY: ward returns blocks of at least the requested size with the
// requested alignment (or null), that stay valid until freed, and
// ward_realloc/ward_free accept any block from ward_malloc, ward_calloc,
// ward_aligned_alloc or ward_realloc — the GlobalAlloc contract.
unsafe impl GlobalAlloc for Ward {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if malloc_aligns(layout.align(), layout.size()) {
            // SAFETY: ward_malloc accepts any size; its blocks of `size` >=
            // `align` bytes are aligned to min(16, size) >= `align`.
            unsafe { sys::ward_malloc(layout.size()) }.cast()
        } else {
            // SAFETY: a Layout's alignment is a power of two.
            unsafe { sys::ward_aligned_alloc(layout.align(), layout.size()) }.cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if malloc_aligns(layout.align(), layout.size()) {
            // SAFETY: as for ward_malloc; calloc(1, n) cannot overflow.
            unsafe { sys::ward_calloc(1, layout.size()) }.cast()
        } else {
            // SAFETY: as in `alloc`.
            let p = unsafe { self.alloc(layout) };
            if !p.is_null() {
                // SAFETY: p is a fresh block of at least layout.size() bytes.
                unsafe { ptr::write_bytes(p, 0, layout.size()) };
            }
            p
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: the caller guarantees `ptr` came from this allocator and is
        // freed once.
        unsafe { sys::ward_free(ptr.cast()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let align = layout.align();
        if malloc_aligns(align, new_size) {
            // SAFETY: `ptr` is a live ward block (caller's contract); the new
            // block of `new_size` >= `align` bytes is aligned as in `alloc`;
            // on failure `ptr` is left intact, as GlobalAlloc requires.
            return unsafe { sys::ward_realloc(ptr.cast(), new_size) }.cast();
        }
        // ward_realloc could move the block to a less aligned one: stay in
        // place when the block fits (wasting less than half of it), else move.
        // SAFETY: `ptr` is a live ward block.
        let usable = unsafe { sys::ward_usable_size(ptr.cast()) };
        if new_size <= usable && new_size >= usable / 2 {
            return ptr;
        }
        // SAFETY: new_size is non-zero and, rounded up to `align`, does not
        // overflow isize (the caller's contract), so the layout is valid.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, align) };
        // SAFETY: a valid layout of non-zero size.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are live, distinct, and at least
            // min(old, new) bytes long; the old one is freed once.
            unsafe {
                ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                sys::ward_free(ptr.cast());
            }
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The offsets checked in a block of `n` bytes: all of the first 4 KiB,
    /// then a sample, and the last byte.
    fn offsets(n: usize) -> impl Iterator<Item = usize> {
        (0..n.min(4096)).chain((4096..n).step_by(509)).chain(n.checked_sub(1).filter(|&l| l >= 4096))
    }

    fn fill(p: *mut u8, n: usize, seed: u8) {
        for i in offsets(n) {
            // SAFETY: the callers pass blocks of at least n bytes.
            unsafe { p.add(i).write(seed.wrapping_add(i as u8)) };
        }
    }

    /// Checks what `fill(p, filled, seed)` wrote below `limit`.
    fn check(p: *const u8, filled: usize, limit: usize, seed: u8) {
        for i in offsets(filled).filter(|&i| i < limit) {
            // SAFETY: the callers pass blocks of at least n initialised bytes.
            assert_eq!(unsafe { p.add(i).read() }, seed.wrapping_add(i as u8), "byte {i}");
        }
    }

    #[test]
    fn every_alignment_and_size() {
        for shift in 0..=22 {
            let align = 1usize << shift;
            for size in [1usize, 2, 7, 8, 15, 16, 17, 100, 4096, 5000, 70_000, 300_000] {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: non-zero size; every block is freed once.
                unsafe {
                    let p = Ward.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    fill(p, size, 3);
                    let z = Ward.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0);
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                    check(p, size, size, 3);
                    Ward.dealloc(z, layout);
                    Ward.dealloc(p, layout);
                }
            }
        }
    }

    #[test]
    fn realloc_keeps_alignment_and_contents() {
        for shift in [0, 3, 4, 5, 6, 12, 16, 21] {
            let align = 1usize << shift;
            let mut size = 1usize;
            let layout0 = Layout::from_size_align(size, align).unwrap();
            // SAFETY: non-zero sizes; each realloc passes the layout the block
            // currently has; the final block is freed once.
            unsafe {
                let mut p = Ward.alloc(layout0);
                fill(p, size, 9);
                // Grow to 4 MiB, then shrink back down.
                let sizes = (0..23).map(|i| 1usize << i).chain((0..23).rev().map(|i| (1usize << i) + 3));
                for new_size in sizes {
                    let old = Layout::from_size_align(size, align).unwrap();
                    let q = Ward.realloc(p, old, new_size);
                    assert!(!q.is_null());
                    assert_eq!(q as usize % align, 0, "align {align}, {size} -> {new_size}");
                    check(q, size, new_size, 9);
                    fill(q, new_size, 9);
                    p = q;
                    size = new_size;
                }
                Ward.dealloc(p, Layout::from_size_align(size, align).unwrap());
            }
        }
    }

    #[test]
    fn realloc_failure_leaves_the_block() {
        let layout = Layout::from_size_align(64, 64).unwrap();
        // SAFETY: the block is live throughout and freed once; the failed
        // realloc leaves it intact (checked).
        unsafe {
            let p = Ward.alloc(layout);
            fill(p, 64, 1);
            let too_big = isize::MAX as usize - 8192;
            assert!(Ward.realloc(p, layout, too_big).is_null());
            check(p, 64, 64, 1);
            let small = Layout::from_size_align(64, 8).unwrap();
            let q = Ward.alloc(small);
            assert!(Ward.realloc(q, small, too_big).is_null());
            Ward.dealloc(q, small);
            Ward.dealloc(p, layout);
        }
    }
}
