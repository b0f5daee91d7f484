//! Debian's mimalloc (libmimalloc.so.2) as a `GlobalAlloc`, through FFI — the
//! same shape as `ward::Ward`. Linked by build.rs into rb-mimalloc only.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

unsafe extern "C" {
    fn mi_malloc(size: usize) -> *mut c_void;
    fn mi_zalloc(size: usize) -> *mut c_void;
    fn mi_realloc(p: *mut c_void, newsize: usize) -> *mut c_void;
    fn mi_malloc_aligned(size: usize, alignment: usize) -> *mut c_void;
    fn mi_zalloc_aligned(size: usize, alignment: usize) -> *mut c_void;
    fn mi_realloc_aligned(p: *mut c_void, newsize: usize, alignment: usize) -> *mut c_void;
    fn mi_free(p: *mut c_void);
}

/// mimalloc's blocks of 16 bytes or more are 16-byte aligned
/// (MI_MAX_ALIGN_SIZE).
const MIN_ALIGN: usize = 16;

/// mimalloc as the global allocator.
pub struct MiMalloc;

// SAFETY: mimalloc returns blocks of the requested size and alignment (or
// null) that stay valid until mi_free; mi_realloc(_aligned) keep the contents
// and leave the block intact on failure.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MIN_ALIGN && layout.align() <= layout.size() {
            // SAFETY: any size is accepted.
            unsafe { mi_malloc(layout.size()) }.cast()
        } else {
            // SAFETY: a Layout's alignment is a power of two.
            unsafe { mi_malloc_aligned(layout.size(), layout.align()) }.cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MIN_ALIGN && layout.align() <= layout.size() {
            // SAFETY: any size is accepted.
            unsafe { mi_zalloc(layout.size()) }.cast()
        } else {
            // SAFETY: as above.
            unsafe { mi_zalloc_aligned(layout.size(), layout.align()) }.cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: ptr came from this allocator (caller's contract).
        unsafe { mi_free(ptr.cast()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MIN_ALIGN && layout.align() <= new_size {
            // SAFETY: ptr is a live mimalloc block.
            unsafe { mi_realloc(ptr.cast(), new_size) }.cast()
        } else {
            // SAFETY: as above; keeps the alignment.
            unsafe { mi_realloc_aligned(ptr.cast(), new_size, layout.align()) }.cast()
        }
    }
}
