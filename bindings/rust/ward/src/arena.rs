use std::alloc::Layout;
use std::ffi::c_void;
use std::fmt;
use std::marker::PhantomData;
use std::mem::{self, MaybeUninit};
use std::ptr::{self, NonNull};

use ward_sys as sys;

use crate::error::{AllocError, capacity_overflow, dangling, fail, non_null};

/// A bump allocator over ward's arenas: allocation moves a pointer through
/// chunks that double in size, and everything is released at once by
/// [`reset`](Arena::reset) or when the arena is dropped.
///
/// Values that need [`Drop`] (a `String`, a `Vec`, a `File`, ...) are dropped
/// then, newest first, through `ward_arena_defer`. Values that do not cost
/// nothing beyond the bump.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// struct Noisy(&'static str, Rc<RefCell<Vec<&'static str>>>);
/// impl Drop for Noisy {
///     fn drop(&mut self) {
///         self.1.borrow_mut().push(self.0);
///     }
/// }
///
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let mut arena = ward::Arena::new();
/// arena.alloc(Noisy("first", log.clone()));
/// let second = arena.alloc(Noisy("second", log.clone()));
/// assert_eq!(second.0, "second");
/// arena.reset();
/// assert_eq!(*log.borrow(), ["second", "first"]);
/// ```
///
/// # Lifetimes
///
/// References handed out borrow the arena, and [`reset`](Arena::reset) takes
/// `&mut self`, so no reference into the arena survives a reset:
///
/// ```compile_fail,E0502
/// let mut arena = ward::Arena::new();
/// let x = arena.alloc(5u32);
/// arena.reset();
/// assert_eq!(*x, 5); // error: `arena` is still borrowed by `x`
/// ```
///
/// Nor can the arena move (or be dropped) while a reference into it is alive
/// (its chunks would not move, but the borrow rules make no exception):
///
/// ```compile_fail,E0505
/// let arena = ward::Arena::new();
/// let x = arena.alloc(5u32);
/// let moved = arena; // error: cannot move out of `arena` because it is borrowed
/// assert_eq!(*x, 5);
/// # drop(moved);
/// ```
///
/// The lifetime parameter `'a` bounds what values given to
/// [`alloc`](Arena::alloc) and [`alloc_slice_fill_with`](Arena::alloc_slice_fill_with)
/// may borrow: since the arena runs their destructors when it resets or
/// drops, they must not borrow anything that dies sooner — nor the arena
/// itself. It is inferred; write `Arena<'_>` in signatures, or
/// `Arena<'static>` for an arena that only holds owned values.
///
/// ```compile_fail,E0597
/// struct Print<'s>(&'s str);
/// impl Drop for Print<'_> {
///     fn drop(&mut self) { println!("{}", self.0) }
/// }
/// let arena = ward::Arena::new();
/// let name = String::from("dies before the arena");
/// arena.alloc(Print(&name)); // error: `name` does not live long enough
/// ```
///
/// ```compile_fail,E0597
/// struct Print<'s>(&'s str);
/// impl Drop for Print<'_> {
///     fn drop(&mut self) { println!("{}", self.0) }
/// }
/// let arena = ward::Arena::new();
/// let name = arena.alloc_str("in the arena");
/// arena.alloc(Print(name)); // error: `arena` does not live long enough
/// ```
///
/// [`alloc_copy`](Arena::alloc_copy), [`alloc_slice_copy`](Arena::alloc_slice_copy)
/// and [`alloc_str`](Arena::alloc_str) take `Copy` data, which has no
/// destructor, and have no such bound: that is how trees whose nodes point
/// to each other (an AST, say) are built.
///
/// ```
/// #[derive(Clone, Copy)]
/// enum Expr<'x> {
///     Num(i64),
///     Add(&'x Expr<'x>, &'x Expr<'x>),
/// }
/// fn eval(e: &Expr<'_>) -> i64 {
///     match *e {
///         Expr::Num(n) => n,
///         Expr::Add(a, b) => eval(a) + eval(b),
///     }
/// }
/// let arena = ward::Arena::new();
/// let one = arena.alloc_copy(Expr::Num(1));
/// let two = arena.alloc_copy(Expr::Num(2));
/// let sum = arena.alloc_copy(Expr::Add(one, two));
/// assert_eq!(eval(sum), 3);
/// ```
///
/// # Threads
///
/// An `Arena` is neither `Send` nor `Sync`: it is used by the thread that
/// created it, and the values it drops are dropped in that thread (they need
/// not be `Send`).
///
/// ```compile_fail,E0277
/// let arena = ward::Arena::new();
/// std::thread::spawn(move || drop(arena)); // error: `Arena` is not `Send`
/// ```
///
/// # Panics in destructors
///
/// Destructors run inside ward's C code, which cannot unwind: a destructor
/// that panics while the arena resets, rewinds or drops aborts the process.
pub struct Arena<'a> {
    raw: NonNull<sys::ward_arena_t>,
    /// Not `Send`, not `Sync`; invariant in `'a` (a covariant `'a` could be
    /// shortened through `&Arena` to admit values that die too soon).
    _marker: PhantomData<*mut &'a ()>,
}

/// The cleanup registered for a value of type `T` at `p`.
unsafe extern "C" fn drop_value<T>(p: *mut c_void) {
    // SAFETY: registered by `Arena::defer_drop` for a live, initialised `T`
    // at `p`, and ward runs each cleanup exactly once, before the memory is
    // released. No reference to it remains (resets, rewinds and drops need
    // `&mut Arena` or the arena itself).
    unsafe { ptr::drop_in_place(p.cast::<T>()) }
}

/// Where a slice's elements are, for its cleanup.
struct SliceDrop<T> {
    ptr: *mut T,
    len: usize,
}

unsafe extern "C" fn drop_slice<T>(p: *mut c_void) {
    // SAFETY: registered by `Arena::try_alloc_slice_fill_with` with a
    // `SliceDrop` in the arena, allocated before the cleanup and so still
    // there when it runs, describing `len` initialised elements; run once.
    unsafe {
        let d = p.cast::<SliceDrop<T>>().read();
        ptr::drop_in_place(ptr::slice_from_raw_parts_mut(d.ptr, d.len));
    }
}

// Handing out `&mut T` from `&self` is what a bump allocator does: each call
// returns fresh, disjoint memory, so the mutable references never alias.
#[allow(clippy::mut_from_ref)]
impl<'a> Arena<'a> {
    /// The largest `chunk_size` ward accepts: 64 MiB.
    ///
    /// ```
    /// assert!(ward::Arena::try_with_chunk_size(ward::Arena::MAX_CHUNK_SIZE).is_ok());
    /// ```
    pub const MAX_CHUNK_SIZE: usize = 64 << 20;

    /// A new arena with ward's default first chunk (64 KiB).
    ///
    /// ```
    /// let arena = ward::Arena::new();
    /// assert_eq!(arena.used(), 0);
    /// assert!(arena.reserved() >= 64 * 1024);
    /// ```
    pub fn new() -> Self {
        Self::with_chunk_size(0)
    }

    /// A new arena whose first chunk holds `chunk_size` bytes (0: the default,
    /// 64 KiB); the next ones double, up to 64 MiB. An allocation bigger than
    /// the chunks gets a chunk of its own.
    ///
    /// # Panics
    ///
    /// If `chunk_size` exceeds [`Arena::MAX_CHUNK_SIZE`].
    ///
    /// ```
    /// let arena = ward::Arena::with_chunk_size(1 << 20);
    /// assert!(arena.reserved() >= 1 << 20);
    /// ```
    pub fn with_chunk_size(chunk_size: usize) -> Self {
        assert!(
            chunk_size <= Self::MAX_CHUNK_SIZE,
            "ward::Arena: chunk size {chunk_size} exceeds {}",
            Self::MAX_CHUNK_SIZE
        );
        Self::try_with_chunk_size(chunk_size).unwrap_or_else(|_| fail(Layout::new::<[u8; 64 << 10]>()))
    }

    /// [`Arena::new`], returning an error instead of aborting when memory
    /// runs out.
    ///
    /// ```
    /// let arena = ward::Arena::try_new().expect("memory for an arena");
    /// # drop(arena);
    /// ```
    pub fn try_new() -> Result<Self, AllocError> {
        Self::try_with_chunk_size(0)
    }

    /// [`Arena::with_chunk_size`], returning an error when memory runs out or
    /// `chunk_size` exceeds [`Arena::MAX_CHUNK_SIZE`].
    ///
    /// ```
    /// assert!(ward::Arena::try_with_chunk_size(4096).is_ok());
    /// assert!(ward::Arena::try_with_chunk_size(1 << 30).is_err());
    /// ```
    pub fn try_with_chunk_size(chunk_size: usize) -> Result<Self, AllocError> {
        // SAFETY: ward_arena_new accepts any size (too large gives NULL).
        let raw = non_null(unsafe { sys::ward_arena_new(chunk_size) }.cast())?;
        Ok(Arena { raw, _marker: PhantomData })
    }

    /// Memory for `layout`: uninitialised, aligned, valid until the next
    /// [`reset`](Arena::reset) or the arena's drop. A zero-sized layout gets a
    /// dangling, aligned pointer without touching the arena.
    ///
    /// ```
    /// use std::alloc::Layout;
    /// let arena = ward::Arena::new();
    /// let p = arena.alloc_layout(Layout::from_size_align(100, 4096).unwrap());
    /// assert_eq!(p.as_ptr() as usize % 4096, 0);
    /// ```
    pub fn alloc_layout(&self, layout: Layout) -> NonNull<u8> {
        self.try_alloc_layout(layout).unwrap_or_else(|_| fail(layout))
    }

    /// [`alloc_layout`](Arena::alloc_layout), returning an error instead of
    /// aborting.
    ///
    /// ```
    /// use std::alloc::Layout;
    /// let arena = ward::Arena::new();
    /// assert!(arena.try_alloc_layout(Layout::new::<[u64; 4]>()).is_ok());
    /// let huge = Layout::from_size_align(isize::MAX as usize / 2, 8).unwrap();
    /// assert!(arena.try_alloc_layout(huge).is_err());
    /// ```
    #[inline]
    pub fn try_alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        if layout.size() == 0 {
            return Ok(dangling(layout.align()));
        }
        // SAFETY: the arena is live (owned by self) and used by this thread
        // only (Arena is !Send and !Sync); a Layout's alignment is a power of
        // two.
        non_null(unsafe { sys::ward_arena_alloc(self.raw.as_ptr(), layout.size(), layout.align()) })
    }

    /// Registers the drop of the `T` at `p` with the arena.
    fn defer_drop<T>(&self, p: *mut T) -> Result<(), AllocError> {
        // SAFETY: the arena is live; `drop_value::<T>` matches the value at
        // `p`, which stays valid until the cleanup runs.
        let rc = unsafe { sys::ward_arena_defer(self.raw.as_ptr(), Some(drop_value::<T>), p.cast()) };
        if rc == 0 { Ok(()) } else { Err(AllocError) }
    }

    /// Moves `value` into the arena and returns a reference to it. If `T`
    /// needs [`Drop`], the value is dropped when the arena resets or drops,
    /// after the values allocated later (newest first).
    ///
    /// ```
    /// let arena = ward::Arena::new();
    /// let v = arena.alloc(vec![1, 2, 3]);
    /// v.push(4);
    /// assert_eq!(v.len(), 4);
    /// ```
    #[inline]
    pub fn alloc<T: 'a>(&self, value: T) -> &mut T {
        match self.try_alloc(value) {
            Ok(r) => r,
            Err(_) => fail(Layout::new::<T>()),
        }
    }

    /// [`alloc`](Arena::alloc), returning an error instead of aborting (the
    /// value is dropped then).
    ///
    /// ```
    /// let arena = ward::Arena::new();
    /// let s = arena.try_alloc(String::from("x")).unwrap();
    /// assert_eq!(s, "x");
    /// ```
    #[inline]
    pub fn try_alloc<T: 'a>(&self, value: T) -> Result<&mut T, AllocError> {
        let p = self.try_alloc_layout(Layout::new::<T>())?.cast::<T>().as_ptr();
        // SAFETY: p is valid for writes of a T and aligned (fresh arena
        // memory, or dangling and aligned for a zero-sized T).
        unsafe { p.write(value) };
        if mem::needs_drop::<T>() {
            if let Err(e) = self.defer_drop(p) {
                // SAFETY: the value was written above and nothing else
                // refers to it; it is dropped once, here.
                unsafe { ptr::drop_in_place(p) };
                return Err(e);
            }
        }
        // SAFETY: p holds an initialised T that no other reference points to,
        // valid until a reset or drop, which need `&mut self` or `self`: the
        // returned borrow of `self` ends first.
        Ok(unsafe { &mut *p })
    }

    /// Copies `value` (which has no destructor) into the arena. Unlike
    /// [`alloc`](Arena::alloc), `T` may borrow anything, the arena included.
    ///
    /// ```
    /// let arena = ward::Arena::new();
    /// let word = arena.alloc_str("leaf");
    /// let pair = arena.alloc_copy((&*word, 7));
    /// assert_eq!(*pair, ("leaf", 7));
    /// ```
    #[inline]
    pub fn alloc_copy<T: Copy>(&self, value: T) -> &mut T {
        match self.try_alloc_copy(value) {
            Ok(r) => r,
            Err(_) => fail(Layout::new::<T>()),
        }
    }

    /// [`alloc_copy`](Arena::alloc_copy), returning an error instead of
    /// aborting.
    ///
    /// ```
    /// let arena = ward::Arena::new();
    /// assert_eq!(*arena.try_alloc_copy(1.5f64).unwrap(), 1.5);
    /// ```
    #[inline]
    pub fn try_alloc_copy<T: Copy>(&self, value: T) -> Result<&mut T, AllocError> {
        let p = self.try_alloc_layout(Layout::new::<T>())?.cast::<T>().as_ptr();
        // SAFETY: p is valid for writes of a T and aligned; after the write it
        // holds an initialised T referenced only by the returned borrow,
        // which ends before any reset or drop. T is Copy: nothing to drop.
        unsafe {
            p.write(value);
            Ok(&mut *p)
        }
    }

    /// Copies a slice of `Copy` values into the arena.
    ///
    /// ```
    /// let arena = ward::Arena::new();
    /// let s = arena.alloc_slice_copy(&[1u16, 2, 3]);
    /// s[0] = 10;
    /// assert_eq!(s, &[10, 2, 3]);
    /// ```
    pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> &mut [T] {
        match self.try_alloc_slice_copy(src) {
            Ok(r) => r,
            Err(_) => fail(Layout::for_value(src)),
        }
    }

    /// [`alloc_slice_copy`](Arena::alloc_slice_copy), returning an error
    /// instead of aborting.
    ///
    /// ```
    /// let arena = ward::Arena::new();
    /// assert_eq!(arena.try_alloc_slice_copy(&[7u8; 3]).unwrap(), &[7, 7, 7]);
    /// ```
    pub fn try_alloc_slice_copy<T: Copy>(&self, src: &[T]) -> Result<&mut [T], AllocError> {
        let p = self.try_alloc_layout(Layout::for_value(src))?.cast::<T>().as_ptr();
        // SAFETY: p is valid for src.len() aligned T (fresh memory, or
        // dangling for an empty or zero-sized slice) and does not overlap src;
        // the copies are initialised, referenced only by the returned borrow.
        unsafe {
            ptr::copy_nonoverlapping(src.as_ptr(), p, src.len());
            Ok(std::slice::from_raw_parts_mut(p, src.len()))
        }
    }

    /// A slice of `len` values made by `f(0)`, `f(1)`, ... in the arena. Values
    /// that need [`Drop`] are dropped when the arena resets or drops. If `f`
    /// panics, the values already made are dropped.
    ///
    /// ```
    /// let arena = ward::Arena::new();
    /// let names = arena.alloc_slice_fill_with(3, |i| format!("item {i}"));
    /// assert_eq!(names[2], "item 2");
    /// ```
    pub fn alloc_slice_fill_with<T: 'a, F: FnMut(usize) -> T>(&self, len: usize, f: F) -> &mut [T] {
        let layout = Layout::array::<T>(len).unwrap_or_else(|_| capacity_overflow());
        match self.try_alloc_slice_fill_with(len, f) {
            Ok(r) => r,
            Err(_) => fail(layout),
        }
    }

    /// [`alloc_slice_fill_with`](Arena::alloc_slice_fill_with), returning an
    /// error instead of aborting (or panicking on a length too large). `f` is
    /// not called when the memory cannot be had.
    ///
    /// ```
    /// let arena = ward::Arena::new();
    /// assert!(arena.try_alloc_slice_fill_with(usize::MAX / 2, |i| i).is_err());
    /// assert_eq!(arena.try_alloc_slice_fill_with(2, |i| i * 10).unwrap(), &[0, 10]);
    /// ```
    pub fn try_alloc_slice_fill_with<T: 'a, F: FnMut(usize) -> T>(
        &self,
        len: usize,
        mut f: F,
    ) -> Result<&mut [T], AllocError> {
        let layout = Layout::array::<T>(len).map_err(|_| AllocError)?;
        let p = self.try_alloc_layout(layout)?.cast::<T>().as_ptr();
        // The cleanup's record, allocated before the elements are made so
        // that a failure leaves nothing to undo.
        let record = if mem::needs_drop::<T>() && len > 0 {
            Some(self.try_alloc_layout(Layout::new::<SliceDrop<T>>())?.cast::<SliceDrop<T>>())
        } else {
            None
        };

        /// Drops the elements made so far if `f` panics.
        struct Partial<T> {
            ptr: *mut T,
            done: usize,
        }
        impl<T> Drop for Partial<T> {
            fn drop(&mut self) {
                // SAFETY: the first `done` elements are initialised and
                // referenced by nothing else.
                unsafe { ptr::drop_in_place(ptr::slice_from_raw_parts_mut(self.ptr, self.done)) }
            }
        }
        let mut partial = Partial { ptr: p, done: 0 };
        for i in 0..len {
            let value = f(i);
            // SAFETY: i < len: p.add(i) is in the allocation and aligned.
            unsafe { p.add(i).write(value) };
            partial.done = i + 1;
        }
        mem::forget(partial);

        if let Some(record) = record {
            // SAFETY: `record` is fresh arena memory for a SliceDrop<T>; the
            // cleanup reads it and drops the `len` initialised elements at p,
            // both still in the arena when cleanups run.
            let rc = unsafe {
                record.as_ptr().write(SliceDrop { ptr: p, len });
                sys::ward_arena_defer(self.raw.as_ptr(), Some(drop_slice::<T>), record.as_ptr().cast())
            };
            if rc != 0 {
                // SAFETY: the elements are initialised and referenced by
                // nothing else; dropped once, here.
                unsafe { ptr::drop_in_place(ptr::slice_from_raw_parts_mut(p, len)) };
                return Err(AllocError);
            }
        }
        // SAFETY: `len` initialised elements, referenced only by the returned
        // borrow, which ends before any reset or drop.
        Ok(unsafe { std::slice::from_raw_parts_mut(p, len) })
    }

    /// Copies a string into the arena.
    ///
    /// ```
    /// let arena = ward::Arena::new();
    /// let s = arena.alloc_str("Grüße");
    /// s.make_ascii_uppercase();
    /// assert_eq!(s, "GRüßE");
    /// ```
    pub fn alloc_str(&self, s: &str) -> &mut str {
        match self.try_alloc_str(s) {
            Ok(r) => r,
            Err(_) => fail(Layout::for_value(s)),
        }
    }

    /// [`alloc_str`](Arena::alloc_str), returning an error instead of
    /// aborting.
    ///
    /// ```
    /// let arena = ward::Arena::new();
    /// assert_eq!(arena.try_alloc_str("").unwrap(), "");
    /// ```
    pub fn try_alloc_str(&self, s: &str) -> Result<&mut str, AllocError> {
        let bytes = self.try_alloc_slice_copy(s.as_bytes())?;
        // SAFETY: the bytes are a copy of a str: valid UTF-8.
        Ok(unsafe { std::str::from_utf8_unchecked_mut(bytes) })
    }

    /// Uninitialised space for a `T`, written through [`MaybeUninit`]. Nothing
    /// is dropped for it.
    ///
    /// ```
    /// let arena = ward::Arena::new();
    /// let slot = arena.alloc_uninit::<[u8; 4]>();
    /// let bytes = slot.write(*b"ward");
    /// assert_eq!(bytes, b"ward");
    /// ```
    pub fn alloc_uninit<T>(&self) -> &mut MaybeUninit<T> {
        match self.try_alloc_uninit() {
            Ok(r) => r,
            Err(_) => fail(Layout::new::<T>()),
        }
    }

    /// [`alloc_uninit`](Arena::alloc_uninit), returning an error instead of
    /// aborting.
    ///
    /// ```
    /// let arena = ward::Arena::new();
    /// let slot = arena.try_alloc_uninit::<u64>().unwrap();
    /// assert_eq!(*slot.write(7), 7);
    /// ```
    pub fn try_alloc_uninit<T>(&self) -> Result<&mut MaybeUninit<T>, AllocError> {
        let p = self.try_alloc_layout(Layout::new::<T>())?.cast::<MaybeUninit<T>>();
        // SAFETY: aligned memory for a T, referenced only by the returned
        // borrow; MaybeUninit needs no initialisation.
        Ok(unsafe { &mut *p.as_ptr() })
    }

    /// Drops every value that needs it (newest first) and releases all the
    /// memory, keeping one chunk for the next allocations.
    ///
    /// ```
    /// let mut arena = ward::Arena::new();
    /// arena.alloc_str("some text");
    /// assert!(arena.used() > 0);
    /// arena.reset();
    /// assert_eq!(arena.used(), 0);
    /// ```
    pub fn reset(&mut self) {
        // SAFETY: the arena is live; `&mut self` proves no reference into it
        // remains; the cleanups drop values that do not borrow the arena.
        unsafe { sys::ward_arena_reset(self.raw.as_ptr()) }
    }

    /// Runs `f` with the arena, then releases everything `f` allocated
    /// (dropping those values, newest first) — a mark and a rewind. Values
    /// allocated before stay. The arena is rewound on panic too.
    ///
    /// ```
    /// let mut arena = ward::Arena::new();
    /// let kept = arena.alloc_str("kept").len();
    /// let used = arena.used();
    /// let total = arena.scope(|a| {
    ///     let tmp = a.alloc_slice_fill_with(1000, |i| i as u64);
    ///     tmp.iter().sum::<u64>()
    /// });
    /// assert_eq!(total, 499_500);
    /// assert_eq!(arena.used(), used);
    /// # assert_eq!(kept, 4);
    /// ```
    ///
    /// References made inside cannot leave it:
    ///
    /// ```compile_fail
    /// let mut arena = ward::Arena::new();
    /// let leaked = arena.scope(|a| a.alloc_str("temporary"));
    /// ```
    pub fn scope<R>(&mut self, f: impl FnOnce(&Self) -> R) -> R {
        /// Rewinds to the mark when dropped (also on unwinding).
        struct Rewind {
            arena: *mut sys::ward_arena_t,
            mark: sys::ward_arena_mark_t,
        }
        impl Drop for Rewind {
            fn drop(&mut self) {
                // SAFETY: the arena outlives this guard (it borrows `self`
                // mutably for the whole call); the mark is of this arena and
                // still valid: `f` only had `&Arena`, which cannot reset or
                // rewind; the references `f` made cannot outlive `f`.
                unsafe { sys::ward_arena_rewind(self.arena, self.mark) }
            }
        }
        // SAFETY: the arena is live.
        let mark = unsafe { sys::ward_arena_mark(self.raw.as_ptr()) };
        let _rewind = Rewind { arena: self.raw.as_ptr(), mark };
        f(self)
    }

    /// Bytes handed out, alignment padding included (and ward's records of
    /// pending destructors).
    ///
    /// ```
    /// let arena = ward::Arena::new();
    /// arena.alloc([0u8; 100]);
    /// assert!(arena.used() >= 100);
    /// ```
    pub fn used(&self) -> usize {
        // SAFETY: the arena is live.
        unsafe { sys::ward_arena_used(self.raw.as_ptr()) }
    }

    /// Bytes of the chunks the arena holds.
    ///
    /// ```
    /// let arena = ward::Arena::with_chunk_size(4096);
    /// arena.alloc([0u8; 100_000]);
    /// assert!(arena.reserved() >= 100_000);
    /// ```
    pub fn reserved(&self) -> usize {
        // SAFETY: the arena is live.
        unsafe { sys::ward_arena_reserved(self.raw.as_ptr()) }
    }

    /// The C handle, for calls through [`ward::sys`](crate::sys). It stays
    /// owned by this `Arena`: do not destroy it, and do not reset or rewind
    /// it while references into it are in use.
    ///
    /// ```
    /// let arena = ward::Arena::new();
    /// // SAFETY: the arena is live for the call.
    /// let used = unsafe { ward::sys::ward_arena_used(arena.as_raw()) };
    /// assert_eq!(used, arena.used());
    /// ```
    pub fn as_raw(&self) -> *mut sys::ward_arena_t {
        self.raw.as_ptr()
    }
}

impl Default for Arena<'_> {
    /// [`Arena::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Arena<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Arena").field("used", &self.used()).field("reserved", &self.reserved()).finish()
    }
}

impl Drop for Arena<'_> {
    /// Drops every value that needs it, newest first, and releases the arena.
    fn drop(&mut self) {
        // SAFETY: the arena is live and destroyed once; no reference into it
        // remains (they borrow `self`).
        unsafe { sys::ward_arena_destroy(self.raw.as_ptr()) }
    }
}
