//! Safe Rust API of **ward**, a memory allocator and manual-memory toolkit
//! written in C.
//!
//! - [`Ward`]: a [`GlobalAlloc`](std::alloc::GlobalAlloc). One line makes a
//!   whole program allocate with ward:
//!   `#[global_allocator] static GLOBAL: ward::Ward = ward::Ward;`
//! - [`Arena`]: bump allocation released all at once by [`Arena::reset`] or
//!   drop — and, unlike the common Rust bump allocators, values that need
//!   [`Drop`] are dropped then, newest first.
//! - [`Heap`]: a private heap. Its [`HeapBox`]es free themselves on drop, and
//!   dropping the heap releases whatever is left in it at once.
//! - [`Pool`]: a typed object pool with O(1) allocation and free; its
//!   [`PoolBox`]es go back to the pool on drop.
//!
//! Every allocating method has a fallible `try_*` twin returning
//! [`AllocError`] where the plain one calls
//! [`handle_alloc_error`](std::alloc::handle_alloc_error) (which aborts).
//!
//! The C library is compiled from this repository by the `ward-sys` crate and
//! linked statically with its `ward_*` names only: using this crate does not
//! replace the program's `malloc` unless [`Ward`] is made the global
//! allocator. Features: `debug-mode` / `hardened-mode` link ward's guard
//! modes (invalid and double frees, overflows and writes after free are
//! reported with stacks); `dynamic` links the installed
//! `libward-prefixed.so`.
//!
//! ```
//! use ward::{Arena, Heap, Pool};
//!
//! // An arena: everything allocated goes at once, destructors included.
//! let mut arena = Arena::new();
//! let greeting = arena.alloc_str("hello");
//! let numbers = arena.alloc_slice_copy(&[1, 2, 3]);
//! let owned = arena.alloc(vec![String::from("dropped on reset")]);
//! greeting.make_ascii_uppercase();
//! assert_eq!((&*greeting, numbers.len(), owned.len()), ("HELLO", 3, 1));
//! arena.reset(); // drops the Vec<String>, keeps one chunk for reuse
//!
//! // A heap: boxes free themselves; the heap frees what is left.
//! let heap = Heap::new();
//! let b = heap.alloc([0u64; 32]);
//! assert_eq!(b.len(), 32);
//!
//! // A pool of one type: O(1) alloc and free.
//! let pool = Pool::new();
//! let node = pool.alloc((1u32, 2u32));
//! assert_eq!(pool.live(), 1);
//! drop(node);
//! assert_eq!(pool.live(), 0);
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

mod arena;
mod error;
mod global;
mod heap;
mod pool;
mod stats;

pub use arena::Arena;
pub use error::AllocError;
pub use global::Ward;
pub use heap::{Heap, HeapBox};
pub use pool::{Pool, PoolBox};
pub use stats::{Stats, mode, print_stats, stats, trim, version};

/// The raw C API (the `ward-sys` crate), for what the safe API does not
/// cover: marks taken by hand, `ward_usable_size`, ...
pub use ward_sys as sys;

/// The examples of `bindings/rust/README.md`, run as doc tests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
