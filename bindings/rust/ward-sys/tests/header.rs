//! Checks ward-sys against include/ward.h: every function the header declares
//! is declared here (and nothing else), and each one works when called as
//! declared.

use std::collections::BTreeSet;
use std::ffi::{CStr, c_void};
use std::path::Path;
use ward_sys::*;

fn names_in(text: &str, marker: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim_start();
        if !line.starts_with(marker) {
            continue;
        }
        let Some(open) = line.find('(') else { continue };
        let before = &line[..open];
        let name: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        names.insert(name);
    }
    names
}

#[test]
fn every_function_of_the_header_is_declared() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header = std::fs::read_to_string(manifest.join("../../../include/ward.h")).expect("include/ward.h");
    let rust = std::fs::read_to_string(manifest.join("src/lib.rs")).expect("src/lib.rs");
    let c = names_in(&header, "WARD_API ");
    let r = names_in(&rust, "pub fn ward_");
    assert!(c.len() >= 40, "parsed too few functions from ward.h: {c:?}");
    assert_eq!(c, r, "ward.h and ward-sys disagree");
}

#[test]
fn malloc_family() {
    // SAFETY: each block is used within its size and alignment and freed once.
    unsafe {
        let p = ward_malloc(24).cast::<u64>();
        assert!(!p.is_null());
        assert_eq!(p as usize % 16, 0);
        p.write(7);
        let p = ward_realloc(p.cast(), 4000).cast::<u64>();
        assert_eq!(p.read(), 7);
        let p = ward_reallocarray(p.cast(), 10, 800).cast::<u64>();
        assert_eq!(p.read(), 7);
        assert!(ward_usable_size(p.cast()) >= 8000);
        ward_free(p.cast());

        assert!(ward_reallocarray(std::ptr::null_mut(), usize::MAX, 2).is_null());
        assert!(ward_calloc(usize::MAX, 2).is_null());
        let z = ward_calloc(100, 10).cast::<u8>();
        assert!(std::slice::from_raw_parts(z, 1000).iter().all(|&b| b == 0));
        ward_free_sized(z.cast(), 1000);

        let a = ward_aligned_alloc(4096, 100);
        assert_eq!(a as usize % 4096, 0);
        ward_free_aligned_sized(a, 4096, 100);
        assert!(ward_aligned_alloc(3, 100).is_null());
        let m = ward_memalign(256, 10);
        assert_eq!(m as usize % 256, 0);
        ward_free(m);

        let mut out: *mut c_void = std::ptr::null_mut();
        assert_eq!(ward_posix_memalign(&mut out, 64, 100), 0);
        assert_eq!(out as usize % 64, 0);
        ward_free(out);
        assert_ne!(ward_posix_memalign(&mut out, 3, 100), 0);

        let v = ward_valloc(10);
        assert_eq!(v as usize % 4096, 0);
        ward_free(v);
        let pv = ward_pvalloc(10);
        assert_eq!(pv as usize % 4096, 0);
        assert!(ward_usable_size(pv) >= 4096);
        ward_free(pv);
        ward_free(std::ptr::null_mut());
        assert_eq!(ward_usable_size(std::ptr::null()), 0);
    }
}

#[test]
fn usable_size_shows_the_mode() {
    // SAFETY: the block is freed once and not used.
    unsafe {
        let p = ward_malloc(10);
        let usable = ward_usable_size(p);
        ward_free(p);
        if !cfg!(any(feature = "debug-mode", feature = "hardened-mode")) {
            assert!(usable >= 16, "fast mode rounds up to a size class");
        } else {
            // Guard modes keep a canary after the size asked for.
            assert_eq!(usable, 10, "guard modes report the size asked for");
        }
    }
}

#[test]
fn heaps() {
    // SAFETY: the heap is used from this thread only; blocks are used within
    // their sizes; one is freed, the others go with the heap.
    unsafe {
        let h = ward_heap_new();
        assert!(!h.is_null());
        let a = ward_heap_malloc(h, 100).cast::<u8>();
        a.write_bytes(1, 100);
        let b = ward_heap_calloc(h, 10, 10).cast::<u8>();
        assert_eq!(*b.add(99), 0);
        let a = ward_heap_realloc(h, a.cast(), 1000).cast::<u8>();
        assert_eq!(*a.add(99), 1);
        let c = ward_heap_aligned_alloc(h, 4096, 10);
        assert_eq!(c as usize % 4096, 0);
        ward_free(b.cast());
        ward_heap_destroy(h);
    }
}

unsafe extern "C" fn count(arg: *mut c_void) {
    // SAFETY: arg is the &mut u32 passed to ward_arena_defer, still alive.
    unsafe { *arg.cast::<u32>() += 1 };
}

#[test]
fn arenas() {
    let mut cleanups = 0u32;
    // SAFETY: the arena is used from this thread only and destroyed once;
    // memory is used within each allocation; `cleanups` outlives the arena.
    unsafe {
        assert!(ward_arena_new(usize::MAX).is_null());
        let a = ward_arena_new(0);
        assert!(!a.is_null());
        let p = ward_arena_alloc(a, 100, 4096);
        assert_eq!(p as usize % 4096, 0);
        let s = ward_arena_strdup(a, c"hello".as_ptr());
        assert_eq!(CStr::from_ptr(s), c"hello");
        let m = ward_arena_mark(a);
        assert_eq!(m.arena_, a.cast_const().cast());
        let used = ward_arena_used(a);
        let n = ward_arena_strndup(a, c"abcdef".as_ptr(), 3);
        assert_eq!(CStr::from_ptr(n), c"abc");
        let d = ward_arena_memdup(a, b"xyz".as_ptr().cast(), 3).cast::<u8>();
        assert_eq!(std::slice::from_raw_parts(d, 3), b"xyz");
        assert_eq!(ward_arena_defer(a, Some(count), (&raw mut cleanups).cast()), 0);
        assert_eq!(ward_arena_defer(a, None, std::ptr::null_mut()), -1);
        assert!(ward_arena_used(a) > used);
        ward_arena_rewind(a, m);
        assert_eq!(cleanups, 1);
        assert_eq!(ward_arena_used(a), used);
        assert!(ward_arena_reserved(a) >= 64 << 10);
        assert_eq!(ward_arena_defer(a, Some(count), (&raw mut cleanups).cast()), 0);
        ward_arena_reset(a);
        assert_eq!(cleanups, 2);
        assert_eq!(ward_arena_used(a), 0);
        assert_eq!(ward_arena_defer(a, Some(count), (&raw mut cleanups).cast()), 0);
        ward_arena_destroy(a);
        assert_eq!(cleanups, 3);
        ward_arena_destroy(std::ptr::null_mut());
    }
}

#[test]
fn pools() {
    // SAFETY: the pool is used from this thread only; objects are used within
    // their size and freed once into their own pool.
    unsafe {
        let p = ward_pool_new(48, 64);
        assert!(!p.is_null());
        assert_eq!(ward_pool_object_size(p), 48);
        let objs: Vec<*mut c_void> = (0..1000).map(|_| ward_pool_alloc(p)).collect();
        assert!(objs.iter().all(|o| *o as usize % 64 == 0));
        assert_eq!(ward_pool_live(p), 1000);
        assert!(ward_pool_reserved(p) >= 48 * 1000);
        for o in &objs[..500] {
            ward_pool_free(p, *o);
        }
        assert_eq!(ward_pool_live(p), 500);
        ward_pool_free(p, std::ptr::null_mut());
        ward_pool_destroy(p);
        ward_pool_destroy(std::ptr::null_mut());
        assert!(ward_pool_new(2 << 20, 0).is_null());
    }
}

#[test]
fn introspection() {
    let mut s = ward_stats_t::default();
    // SAFETY: s is a valid ward_stats_t to fill; the block is freed once.
    unsafe {
        let p = ward_malloc(1000);
        ward_stats_get(&mut s);
        ward_free(p);
        assert!(s.reserved > 0 && s.segments > 0);
        assert!(ward_trim() == 0 || ward_trim() >= 0);
        assert_eq!(CStr::from_ptr(ward_version()).to_str().unwrap(), "0.1.0");
    }
    // ward_stats_print writes to a file descriptor: /dev/null's.
    let null = std::fs::OpenOptions::new().write(true).open("/dev/null").unwrap();
    // SAFETY: the descriptor is open for the duration of the call.
    unsafe { ward_stats_print(std::os::fd::AsRawFd::as_raw_fd(&null)) };
}
