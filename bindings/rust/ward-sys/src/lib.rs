//! Raw FFI declarations for ward's C API: everything `include/ward.h`
//! declares, and nothing else.
//!
//! Each item carries the contract the header states; the safe abstractions are
//! in the `ward` crate. The build script compiles ward's C sources from this
//! repository into a static library with the `ward_*` names only (the
//! `libward-prefixed` library of the CMake build): linking this crate does not
//! replace the program's `malloc`.
//!
//! Features: `dynamic` links the installed `libward-prefixed.so` instead;
//! `hardened-mode` and `debug-mode` compile ward with `WARD_GUARD=1` / `2`.
//!
//! ```
//! use ward_sys as sys;
//! // SAFETY: ward_malloc may be called with any size; the block is freed
//! // once, below, and not used after.
//! unsafe {
//!     let p = sys::ward_malloc(100).cast::<u8>();
//!     assert!(!p.is_null());
//!     p.write_bytes(7, 100);
//!     assert!(sys::ward_usable_size(p.cast()) >= 100);
//!     sys::ward_free(p.cast());
//! }
//! ```
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]
#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_int, c_ulonglong, c_void};

/// `WARD_VERSION_MAJOR`.
///
/// ```
/// assert_eq!(ward_sys::WARD_VERSION_MAJOR, 0);
/// ```
pub const WARD_VERSION_MAJOR: u32 = 0;
/// `WARD_VERSION_MINOR`.
///
/// ```
/// assert_eq!(ward_sys::WARD_VERSION_MINOR, 1);
/// ```
pub const WARD_VERSION_MINOR: u32 = 1;
/// `WARD_VERSION_PATCH`.
///
/// ```
/// assert_eq!(ward_sys::WARD_VERSION_PATCH, 0);
/// ```
pub const WARD_VERSION_PATCH: u32 = 0;
/// `WARD_VERSION_STRING`, NUL-terminated as in C.
///
/// ```
/// // SAFETY: ward_version returns a static NUL-terminated string.
/// let linked = unsafe { core::ffi::CStr::from_ptr(ward_sys::ward_version()) };
/// assert_eq!(linked, ward_sys::WARD_VERSION_STRING);
/// ```
pub const WARD_VERSION_STRING: &core::ffi::CStr = c"0.1.0";

/// A first-class heap (`ward_heap_t`), opaque: only behind a pointer from
/// [`ward_heap_new`].
///
/// ```
/// let h: *mut ward_sys::ward_heap_t = unsafe { ward_sys::ward_heap_new() };
/// assert!(!h.is_null());
/// // SAFETY: a live heap, destroyed once.
/// unsafe { ward_sys::ward_heap_destroy(h) };
/// ```
#[repr(C)]
pub struct ward_heap_t {
    _opaque: [u8; 0],
    _pinned: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

/// An arena (`ward_arena_t`), opaque: only behind a pointer from
/// [`ward_arena_new`].
///
/// ```
/// let a: *mut ward_sys::ward_arena_t = unsafe { ward_sys::ward_arena_new(0) };
/// assert!(!a.is_null());
/// // SAFETY: a live arena, destroyed once.
/// unsafe { ward_sys::ward_arena_destroy(a) };
/// ```
#[repr(C)]
pub struct ward_arena_t {
    _opaque: [u8; 0],
    _pinned: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

/// A pool (`ward_pool_t`), opaque: only behind a pointer from
/// [`ward_pool_new`].
///
/// ```
/// let p: *mut ward_sys::ward_pool_t = unsafe { ward_sys::ward_pool_new(32, 0) };
/// assert!(!p.is_null());
/// // SAFETY: a live pool, destroyed once.
/// unsafe { ward_sys::ward_pool_destroy(p) };
/// ```
#[repr(C)]
pub struct ward_pool_t {
    _opaque: [u8; 0],
    _pinned: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

/// A position in an arena to rewind to (`ward_arena_mark_t`). The fields are
/// private to ward: only pass marks back to `ward_arena_rewind`.
///
/// ```
/// use ward_sys as sys;
/// // SAFETY: the arena is live from new to destroy and used by this thread.
/// unsafe {
///     let a = sys::ward_arena_new(0);
///     let m: sys::ward_arena_mark_t = sys::ward_arena_mark(a);
///     sys::ward_arena_alloc(a, 1000, 0);
///     sys::ward_arena_rewind(a, m);
///     assert_eq!(sys::ward_arena_used(a), 0);
///     sys::ward_arena_destroy(a);
/// }
/// ```
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ward_arena_mark_t {
    /// The arena the mark belongs to.
    pub arena_: *const c_void,
    /// Position (chunk serial and offset).
    pub pos_: c_ulonglong,
    /// Sequence number when the mark was taken.
    pub seq_: c_ulonglong,
    /// Rewinds done when the mark was taken.
    pub rewinds_: c_ulonglong,
    /// Resets done when the mark was taken.
    pub resets_: c_ulonglong,
}

/// Statistics filled in by [`ward_stats_get`] (`ward_stats_t`).
///
/// ```
/// let mut s = ward_sys::ward_stats_t::default();
/// // SAFETY: `s` is a valid ward_stats_t to fill.
/// unsafe { ward_sys::ward_stats_get(&mut s) };
/// assert!(s.resident > 0);
/// ```
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ward_stats_t {
    /// Bytes in live blocks (exact with `WARD_STATS=1`, else an upper bound).
    pub in_use: usize,
    /// Highest `in_use` seen (`WARD_STATS=1` only, else 0).
    pub peak_in_use: usize,
    /// Address space ward holds.
    pub reserved: usize,
    /// Bytes ward may have touched and not returned.
    pub committed: usize,
    /// The process's resident set, as the kernel reports it.
    pub resident: usize,
    /// Times memory was returned to the OS.
    pub purges: usize,
    /// Segments in use.
    pub segments: usize,
    /// Live blocks mapped on their own.
    pub huge_blocks: usize,
}

// `size_t` is `usize` on every target Rust supports. In the examples, every
// block is used within its size and freed (or released) once.
unsafe extern "C" {
    // ---- general-purpose allocation ----------------------------------------

    /// `malloc`: every block of 16 bytes or more is 16-byte aligned;
    /// `ward_malloc(0)` returns a unique pointer that may be freed. `NULL` with
    /// `errno = ENOMEM` when the request cannot be served.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_malloc(24);
    ///     assert!(!p.is_null() && p as usize % 16 == 0);
    ///     ward_sys::ward_free(p);
    /// }
    /// ```
    pub fn ward_malloc(size: usize) -> *mut c_void;
    /// Zeroed memory; `n * size` overflowing gives `NULL` with `ENOMEM`.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_calloc(10, 8).cast::<u64>();
    ///     assert_eq!(*p.add(9), 0);
    ///     ward_sys::ward_free(p.cast());
    ///     assert!(ward_sys::ward_calloc(usize::MAX, 2).is_null());
    /// }
    /// ```
    pub fn ward_calloc(n: usize, size: usize) -> *mut c_void;
    /// Keeps the contents up to the smaller size and grows in place when it
    /// can. `ward_realloc(NULL, n)` is `ward_malloc(n)`; `ward_realloc(p, 0)`
    /// frees `p` and returns `NULL`. On failure `p` is left intact.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_malloc(8).cast::<u64>();
    ///     p.write(42);
    ///     let p = ward_sys::ward_realloc(p.cast(), 4000).cast::<u64>();
    ///     assert_eq!(p.read(), 42);
    ///     assert!(ward_sys::ward_realloc(p.cast(), 0).is_null()); // freed
    /// }
    /// ```
    pub fn ward_realloc(p: *mut c_void, size: usize) -> *mut c_void;
    /// `ward_realloc(p, n * size)`, `ENOMEM` on overflow.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_reallocarray(core::ptr::null_mut(), 100, 8);
    ///     assert!(!p.is_null());
    ///     assert!(ward_sys::ward_reallocarray(p, usize::MAX, 8).is_null()); // p intact
    ///     ward_sys::ward_free(p);
    /// }
    /// ```
    pub fn ward_reallocarray(p: *mut c_void, n: usize, size: usize) -> *mut c_void;
    /// `align` must be a power of two (any, up to at least 1 GiB); `size` need
    /// not be a multiple of it. A bad alignment gives `NULL` with `EINVAL`.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_aligned_alloc(1 << 16, 100);
    ///     assert_eq!(p as usize % (1 << 16), 0);
    ///     ward_sys::ward_free(p);
    ///     assert!(ward_sys::ward_aligned_alloc(3, 100).is_null());
    /// }
    /// ```
    pub fn ward_aligned_alloc(align: usize, size: usize) -> *mut c_void;
    /// Returns 0, `EINVAL` (align not a power-of-two multiple of
    /// `sizeof(void *)`) or `ENOMEM`; `*out` is written only on success.
    ///
    /// ```
    /// let mut p = core::ptr::null_mut();
    /// unsafe {
    ///     assert_eq!(ward_sys::ward_posix_memalign(&mut p, 64, 100), 0);
    ///     assert_eq!(p as usize % 64, 0);
    ///     ward_sys::ward_free(p);
    /// }
    /// ```
    pub fn ward_posix_memalign(out: *mut *mut c_void, align: usize, size: usize) -> c_int;
    /// `ward_aligned_alloc` under its older name.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_memalign(256, 10);
    ///     assert_eq!(p as usize % 256, 0);
    ///     ward_sys::ward_free(p);
    /// }
    /// ```
    pub fn ward_memalign(align: usize, size: usize) -> *mut c_void;
    /// Page-aligned.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_valloc(10);
    ///     assert_eq!(p as usize % 4096, 0);
    ///     ward_sys::ward_free(p);
    /// }
    /// ```
    pub fn ward_valloc(size: usize) -> *mut c_void;
    /// Page-aligned, size rounded up to whole pages.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_pvalloc(10);
    ///     assert!(p as usize % 4096 == 0 && ward_sys::ward_usable_size(p) >= 4096);
    ///     ward_sys::ward_free(p);
    /// }
    /// ```
    pub fn ward_pvalloc(size: usize) -> *mut c_void;
    /// Frees a block of ward's malloc family or of a first-class heap, from any
    /// thread. Freeing `NULL` does nothing.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_malloc(100) as usize;
    ///     std::thread::spawn(move || ward_sys::ward_free(p as *mut _)).join().unwrap();
    ///     ward_sys::ward_free(core::ptr::null_mut());
    /// }
    /// ```
    pub fn ward_free(p: *mut c_void);
    /// `ward_free`; `size` must be what the block was allocated with.
    ///
    /// ```
    /// unsafe { ward_sys::ward_free_sized(ward_sys::ward_malloc(100), 100) };
    /// ```
    pub fn ward_free_sized(p: *mut c_void, size: usize);
    /// `ward_free`; `align` and `size` must be what the block was allocated with.
    ///
    /// ```
    /// unsafe { ward_sys::ward_free_aligned_sized(ward_sys::ward_aligned_alloc(64, 100), 64, 100) };
    /// ```
    pub fn ward_free_aligned_sized(p: *mut c_void, align: usize, size: usize);
    /// Bytes that may be used at `p`: at least the size asked for. 0 for `NULL`.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_malloc(10);
    ///     assert!(ward_sys::ward_usable_size(p) >= 10);
    ///     ward_sys::ward_free(p);
    ///     assert_eq!(ward_sys::ward_usable_size(core::ptr::null()), 0);
    /// }
    /// ```
    pub fn ward_usable_size(p: *const c_void) -> usize;

    // ---- first-class heaps --------------------------------------------------

    /// A new heap, or `NULL` (`ENOMEM`). Allocated from by one thread at a
    /// time; its blocks may be freed with `ward_free` from any thread.
    ///
    /// ```
    /// unsafe {
    ///     let h = ward_sys::ward_heap_new();
    ///     assert!(!h.is_null());
    ///     ward_sys::ward_heap_destroy(h);
    /// }
    /// ```
    pub fn ward_heap_new() -> *mut ward_heap_t;
    /// `malloc` from `heap`.
    ///
    /// ```
    /// unsafe {
    ///     let h = ward_sys::ward_heap_new();
    ///     let p = ward_sys::ward_heap_malloc(h, 100);
    ///     ward_sys::ward_free(p); // an ordinary block
    ///     ward_sys::ward_heap_destroy(h);
    /// }
    /// ```
    pub fn ward_heap_malloc(heap: *mut ward_heap_t, size: usize) -> *mut c_void;
    /// `calloc` from `heap`.
    ///
    /// ```
    /// unsafe {
    ///     let h = ward_sys::ward_heap_new();
    ///     let p = ward_sys::ward_heap_calloc(h, 4, 8).cast::<u64>();
    ///     assert_eq!(*p.add(3), 0);
    ///     ward_sys::ward_heap_destroy(h); // releases the block too
    /// }
    /// ```
    pub fn ward_heap_calloc(heap: *mut ward_heap_t, n: usize, size: usize) -> *mut c_void;
    /// `realloc`, a new block (if any) coming from `heap`.
    ///
    /// ```
    /// unsafe {
    ///     let h = ward_sys::ward_heap_new();
    ///     let p = ward_sys::ward_heap_malloc(h, 1).cast::<u8>();
    ///     p.write(9);
    ///     let p = ward_sys::ward_heap_realloc(h, p.cast(), 5000).cast::<u8>();
    ///     assert_eq!(*p, 9);
    ///     ward_sys::ward_heap_destroy(h);
    /// }
    /// ```
    pub fn ward_heap_realloc(heap: *mut ward_heap_t, p: *mut c_void, size: usize) -> *mut c_void;
    /// `aligned_alloc` from `heap`.
    ///
    /// ```
    /// unsafe {
    ///     let h = ward_sys::ward_heap_new();
    ///     let p = ward_sys::ward_heap_aligned_alloc(h, 4096, 10);
    ///     assert_eq!(p as usize % 4096, 0);
    ///     ward_sys::ward_heap_destroy(h);
    /// }
    /// ```
    pub fn ward_heap_aligned_alloc(heap: *mut ward_heap_t, align: usize, size: usize) -> *mut c_void;
    /// Releases every block still in the heap at once, and the heap. Its blocks
    /// must not be used or freed afterwards; must not race with their frees.
    ///
    /// ```
    /// unsafe {
    ///     let h = ward_sys::ward_heap_new();
    ///     for _ in 0..1000 {
    ///         ward_sys::ward_heap_malloc(h, 64);
    ///     }
    ///     ward_sys::ward_heap_destroy(h); // all 1000 at once
    /// }
    /// ```
    pub fn ward_heap_destroy(heap: *mut ward_heap_t);

    // ---- arenas ---------------------------------------------------------------

    /// A new arena whose first chunk is `chunk_size` bytes (0: 64 KiB; more
    /// than 64 MiB gives `NULL` with `ENOMEM`). One thread at a time.
    ///
    /// ```
    /// unsafe {
    ///     let a = ward_sys::ward_arena_new(1 << 20);
    ///     assert!(ward_sys::ward_arena_reserved(a) >= 1 << 20);
    ///     ward_sys::ward_arena_destroy(a);
    ///     assert!(ward_sys::ward_arena_new(1 << 30).is_null());
    /// }
    /// ```
    pub fn ward_arena_new(chunk_size: usize) -> *mut ward_arena_t;
    /// `align`: a power of two, or 0 for 16. Size 0 gives a unique pointer.
    /// `NULL` with `EINVAL` (bad align) or `ENOMEM`.
    ///
    /// ```
    /// unsafe {
    ///     let a = ward_sys::ward_arena_new(0);
    ///     let p = ward_sys::ward_arena_alloc(a, 100, 4096);
    ///     assert_eq!(p as usize % 4096, 0);
    ///     assert!(ward_sys::ward_arena_alloc(a, 100, 3).is_null());
    ///     ward_sys::ward_arena_destroy(a);
    /// }
    /// ```
    pub fn ward_arena_alloc(arena: *mut ward_arena_t, size: usize, align: usize) -> *mut c_void;
    /// Copies the NUL-terminated `s` into the arena.
    ///
    /// ```
    /// unsafe {
    ///     let a = ward_sys::ward_arena_new(0);
    ///     let s = ward_sys::ward_arena_strdup(a, c"hello".as_ptr());
    ///     assert_eq!(core::ffi::CStr::from_ptr(s), c"hello");
    ///     ward_sys::ward_arena_destroy(a);
    /// }
    /// ```
    pub fn ward_arena_strdup(arena: *mut ward_arena_t, s: *const c_char) -> *mut c_char;
    /// Copies at most `max` bytes of `s`, plus a NUL, into the arena.
    ///
    /// ```
    /// unsafe {
    ///     let a = ward_sys::ward_arena_new(0);
    ///     let s = ward_sys::ward_arena_strndup(a, c"abcdef".as_ptr(), 3);
    ///     assert_eq!(core::ffi::CStr::from_ptr(s), c"abc");
    ///     ward_sys::ward_arena_destroy(a);
    /// }
    /// ```
    pub fn ward_arena_strndup(arena: *mut ward_arena_t, s: *const c_char, max: usize) -> *mut c_char;
    /// Copies `n` bytes from `src` into the arena (16-byte aligned).
    ///
    /// ```
    /// unsafe {
    ///     let a = ward_sys::ward_arena_new(0);
    ///     let p = ward_sys::ward_arena_memdup(a, b"xyz".as_ptr().cast(), 3).cast::<u8>();
    ///     assert_eq!(core::slice::from_raw_parts(p, 3), b"xyz");
    ///     ward_sys::ward_arena_destroy(a);
    /// }
    /// ```
    pub fn ward_arena_memdup(arena: *mut ward_arena_t, src: *const c_void, n: usize) -> *mut c_void;
    /// The arena's current position, to rewind to.
    ///
    /// ```
    /// unsafe {
    ///     let a = ward_sys::ward_arena_new(0);
    ///     ward_sys::ward_arena_alloc(a, 10, 0);
    ///     let m = ward_sys::ward_arena_mark(a);
    ///     assert_eq!(m.arena_, a.cast_const().cast());
    ///     ward_sys::ward_arena_destroy(a);
    /// }
    /// ```
    pub fn ward_arena_mark(arena: *mut ward_arena_t) -> ward_arena_mark_t;
    /// Releases everything allocated since `mark` and runs the cleanups
    /// registered since, newest first. A mark of another arena, or one that an
    /// earlier rewind or reset already released, is reported as an error.
    ///
    /// ```
    /// unsafe {
    ///     let a = ward_sys::ward_arena_new(0);
    ///     ward_sys::ward_arena_alloc(a, 10, 0);
    ///     let used = ward_sys::ward_arena_used(a);
    ///     let m = ward_sys::ward_arena_mark(a);
    ///     ward_sys::ward_arena_alloc(a, 1 << 20, 0);
    ///     ward_sys::ward_arena_rewind(a, m);
    ///     assert_eq!(ward_sys::ward_arena_used(a), used);
    ///     ward_sys::ward_arena_destroy(a);
    /// }
    /// ```
    pub fn ward_arena_rewind(arena: *mut ward_arena_t, mark: ward_arena_mark_t);
    /// Registers `fn_(arg)` to run when a rewind, reset or destroy releases
    /// this point; cleanups run newest first and must not use the arena.
    /// 0, or -1 with errno set (`EINVAL` for a `NULL` function, `ENOMEM`).
    ///
    /// ```
    /// unsafe extern "C" fn bump(arg: *mut core::ffi::c_void) {
    ///     // SAFETY: arg is the counter below, alive until the arena goes.
    ///     unsafe { *arg.cast::<u32>() += 1 };
    /// }
    /// let mut runs = 0u32;
    /// unsafe {
    ///     let a = ward_sys::ward_arena_new(0);
    ///     assert_eq!(ward_sys::ward_arena_defer(a, Some(bump), (&raw mut runs).cast()), 0);
    ///     ward_sys::ward_arena_destroy(a);
    /// }
    /// assert_eq!(runs, 1);
    /// ```
    pub fn ward_arena_defer(
        arena: *mut ward_arena_t,
        fn_: Option<unsafe extern "C" fn(arg: *mut c_void)>,
        arg: *mut c_void,
    ) -> c_int;
    /// Runs every cleanup and releases everything, keeping one chunk for reuse.
    ///
    /// ```
    /// unsafe {
    ///     let a = ward_sys::ward_arena_new(0);
    ///     ward_sys::ward_arena_alloc(a, 1000, 0);
    ///     ward_sys::ward_arena_reset(a);
    ///     assert_eq!(ward_sys::ward_arena_used(a), 0);
    ///     assert!(ward_sys::ward_arena_reserved(a) > 0);
    ///     ward_sys::ward_arena_destroy(a);
    /// }
    /// ```
    pub fn ward_arena_reset(arena: *mut ward_arena_t);
    /// Runs every cleanup and releases the arena. `NULL` is ignored.
    ///
    /// ```
    /// unsafe {
    ///     ward_sys::ward_arena_destroy(ward_sys::ward_arena_new(0));
    ///     ward_sys::ward_arena_destroy(core::ptr::null_mut());
    /// }
    /// ```
    pub fn ward_arena_destroy(arena: *mut ward_arena_t);
    /// Bytes handed out (alignment padding included).
    ///
    /// ```
    /// unsafe {
    ///     let a = ward_sys::ward_arena_new(0);
    ///     ward_sys::ward_arena_alloc(a, 100, 0);
    ///     assert!(ward_sys::ward_arena_used(a) >= 100);
    ///     ward_sys::ward_arena_destroy(a);
    /// }
    /// ```
    pub fn ward_arena_used(arena: *const ward_arena_t) -> usize;
    /// Bytes of chunks held.
    ///
    /// ```
    /// unsafe {
    ///     let a = ward_sys::ward_arena_new(0);
    ///     assert!(ward_sys::ward_arena_reserved(a) >= 64 << 10);
    ///     ward_sys::ward_arena_destroy(a);
    /// }
    /// ```
    pub fn ward_arena_reserved(arena: *const ward_arena_t) -> usize;

    // ---- pools ------------------------------------------------------------------

    /// A pool of objects of `obj_size` bytes (up to 1 MiB), aligned to `align`
    /// (a power of two, or 0 for 16). One thread at a time.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_pool_new(48, 64);
    ///     assert!(!p.is_null());
    ///     ward_sys::ward_pool_destroy(p);
    ///     assert!(ward_sys::ward_pool_new(2 << 20, 0).is_null());
    /// }
    /// ```
    pub fn ward_pool_new(obj_size: usize, align: usize) -> *mut ward_pool_t;
    /// An object of the pool, O(1); `NULL` with `ENOMEM`.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_pool_new(48, 64);
    ///     let o = ward_sys::ward_pool_alloc(p);
    ///     assert_eq!(o as usize % 64, 0);
    ///     ward_sys::ward_pool_destroy(p);
    /// }
    /// ```
    pub fn ward_pool_alloc(pool: *mut ward_pool_t) -> *mut c_void;
    /// Returns `obj` to the pool; refuses (reports) pointers that are not
    /// objects of that pool. `NULL` is ignored.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_pool_new(16, 0);
    ///     let o = ward_sys::ward_pool_alloc(p);
    ///     ward_sys::ward_pool_free(p, o);
    ///     assert_eq!(ward_sys::ward_pool_alloc(p), o); // the slot came back
    ///     ward_sys::ward_pool_destroy(p);
    /// }
    /// ```
    pub fn ward_pool_free(pool: *mut ward_pool_t, obj: *mut c_void);
    /// Releases every object of the pool at once. `NULL` is ignored.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_pool_new(16, 0);
    ///     for _ in 0..1000 {
    ///         ward_sys::ward_pool_alloc(p);
    ///     }
    ///     ward_sys::ward_pool_destroy(p);
    ///     ward_sys::ward_pool_destroy(core::ptr::null_mut());
    /// }
    /// ```
    pub fn ward_pool_destroy(pool: *mut ward_pool_t);
    /// The `obj_size` the pool was created with.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_pool_new(24, 0);
    ///     assert_eq!(ward_sys::ward_pool_object_size(p), 24);
    ///     ward_sys::ward_pool_destroy(p);
    /// }
    /// ```
    pub fn ward_pool_object_size(pool: *const ward_pool_t) -> usize;
    /// Objects allocated and not freed.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_pool_new(24, 0);
    ///     ward_sys::ward_pool_alloc(p);
    ///     assert_eq!(ward_sys::ward_pool_live(p), 1);
    ///     ward_sys::ward_pool_destroy(p);
    /// }
    /// ```
    pub fn ward_pool_live(pool: *const ward_pool_t) -> usize;
    /// Bytes of chunks held.
    ///
    /// ```
    /// unsafe {
    ///     let p = ward_sys::ward_pool_new(24, 0);
    ///     ward_sys::ward_pool_alloc(p);
    ///     assert!(ward_sys::ward_pool_reserved(p) >= 24);
    ///     ward_sys::ward_pool_destroy(p);
    /// }
    /// ```
    pub fn ward_pool_reserved(pool: *const ward_pool_t) -> usize;

    // ---- introspection and control ----------------------------------------

    /// `"0.1.0"`: the library's version, NUL-terminated, static.
    ///
    /// ```
    /// let v = unsafe { core::ffi::CStr::from_ptr(ward_sys::ward_version()) };
    /// assert_eq!(v.to_str(), Ok("0.1.0"));
    /// ```
    pub fn ward_version() -> *const c_char;
    /// Prints a human-readable summary of ward's statistics to `fd`.
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// let null = std::fs::OpenOptions::new().write(true).open("/dev/null").unwrap();
    /// unsafe { ward_sys::ward_stats_print(null.as_raw_fd()) };
    /// ```
    pub fn ward_stats_print(fd: c_int);
    /// Fills `*out`.
    ///
    /// ```
    /// let mut s = ward_sys::ward_stats_t::default();
    /// unsafe {
    ///     let p = ward_sys::ward_malloc(1000);
    ///     ward_sys::ward_stats_get(&mut s);
    ///     ward_sys::ward_free(p);
    /// }
    /// assert!(s.reserved > 0 && s.segments > 0);
    /// ```
    pub fn ward_stats_get(out: *mut ward_stats_t);
    /// Returns unused memory to the OS now: 1 if anything was returned, else 0.
    ///
    /// ```
    /// let r = unsafe { ward_sys::ward_trim() };
    /// assert!(r == 0 || r == 1);
    /// ```
    pub fn ward_trim() -> c_int;
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, offset_of, size_of};

    unsafe extern "C" {
        /// Written by the C compiler from ward.h (see build.rs).
        static ward_sys_layout: [usize; 23];
    }

    #[test]
    fn struct_layouts_match_the_c_compiler() {
        // SAFETY: ward_sys_layout is a constant array of 23 size_t defined by
        // the layout probe that build.rs compiles and links.
        let c = unsafe { ward_sys_layout };
        let rust = [
            size_of::<ward_stats_t>(),
            align_of::<ward_stats_t>(),
            offset_of!(ward_stats_t, in_use),
            offset_of!(ward_stats_t, peak_in_use),
            offset_of!(ward_stats_t, reserved),
            offset_of!(ward_stats_t, committed),
            offset_of!(ward_stats_t, resident),
            offset_of!(ward_stats_t, purges),
            offset_of!(ward_stats_t, segments),
            offset_of!(ward_stats_t, huge_blocks),
            size_of::<ward_arena_mark_t>(),
            align_of::<ward_arena_mark_t>(),
            offset_of!(ward_arena_mark_t, arena_),
            offset_of!(ward_arena_mark_t, pos_),
            offset_of!(ward_arena_mark_t, seq_),
            offset_of!(ward_arena_mark_t, rewinds_),
            offset_of!(ward_arena_mark_t, resets_),
            WARD_VERSION_MAJOR as usize,
            WARD_VERSION_MINOR as usize,
            WARD_VERSION_PATCH as usize,
            size_of::<usize>(),
            size_of::<c_ulonglong>(),
            size_of::<c_int>(),
        ];
        assert_eq!(c, rust);
    }

    #[test]
    fn version_matches_the_library() {
        // SAFETY: ward_version returns a static NUL-terminated string.
        let v = unsafe { core::ffi::CStr::from_ptr(ward_version()) };
        assert_eq!(v, WARD_VERSION_STRING);
    }
}
