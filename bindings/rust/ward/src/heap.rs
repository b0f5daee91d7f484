use std::alloc::Layout;
use std::fmt;
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::ops::{Deref, DerefMut};
use std::ptr::{self, NonNull};

use ward_sys as sys;

use crate::error::{AllocError, capacity_overflow, dangling, fail, non_null};

/// A first-class heap: a private `malloc` whose blocks are released all at
/// once when the heap is dropped.
///
/// Its allocation methods return [`HeapBox`]es, owning pointers that drop
/// their value and free their block when they go out of scope — from any
/// thread. Dropping the `Heap` releases whatever is still in it (blocks of
/// boxes that were [leaked](HeapBox::leak)) in time proportional to its pages.
///
/// ```
/// let heap = ward::Heap::new();
/// let mut names = Vec::new();
/// for i in 0..100 {
///     names.push(heap.alloc_str(&format!("name {i}")));
/// }
/// assert_eq!(&*names[42], "name 42");
/// drop(names); // each box frees its block
/// ```
///
/// # Lifetimes
///
/// A box borrows its heap, so it cannot outlive it:
///
/// ```compile_fail,E0505
/// let heap = ward::Heap::new();
/// let b = heap.alloc(1u32);
/// drop(heap); // error: cannot move out of `heap` because it is borrowed
/// assert_eq!(*b, 1);
/// ```
///
/// # Threads
///
/// A heap is allocated from by one thread at a time: `Heap` is [`Send`] (it
/// may move to another thread, with no box alive) but not [`Sync`], so two
/// threads cannot allocate from it at once:
///
/// ```compile_fail,E0277
/// let heap = ward::Heap::new();
/// std::thread::scope(|s| {
///     s.spawn(|| heap.alloc(1u8).into_inner()); // error: `Heap` is not `Sync`
///     heap.alloc(2u8);
/// });
/// ```
///
/// Its boxes are ordinary blocks, which ward frees from any thread: a
/// `HeapBox<T>` is `Send` when `T` is.
///
/// ```
/// let heap = ward::Heap::new();
/// let b = heap.alloc(vec![1, 2, 3]);
/// std::thread::scope(|s| {
///     s.spawn(move || assert_eq!(b.len(), 3)); // dropped (freed) there
/// });
/// let heap = std::thread::spawn(move || {
///     let b = heap.alloc(7u64); // the heap moved to this thread
///     assert_eq!(*b, 7);
///     drop(b);
///     heap
/// })
/// .join()
/// .unwrap();
/// drop(heap);
/// ```
pub struct Heap {
    raw: NonNull<sys::ward_heap_t>,
    /// Not `Sync` (the pointer); `Send` is implemented below.
    _not_sync: PhantomData<*mut ()>,
}

// SAFETY: ward lets a heap move between threads when the hand-over is
// synchronised, which moving a value between threads in safe Rust is. Moving
// needs ownership, so no HeapBox (which borrows the heap) is alive then.
unsafe impl Send for Heap {}

impl Heap {
    /// A new heap.
    ///
    /// ```
    /// let heap = ward::Heap::new();
    /// # drop(heap);
    /// ```
    pub fn new() -> Self {
        Self::try_new().unwrap_or_else(|_| fail(Layout::new::<[u8; 4096]>()))
    }

    /// [`Heap::new`], returning an error instead of aborting.
    ///
    /// ```
    /// let heap = ward::Heap::try_new().expect("a heap");
    /// # drop(heap);
    /// ```
    pub fn try_new() -> Result<Self, AllocError> {
        // SAFETY: ward_heap_new has no preconditions.
        let raw = non_null(unsafe { sys::ward_heap_new() }.cast())?;
        Ok(Heap { raw, _not_sync: PhantomData })
    }

    /// A block for `layout` from this heap; dangling (not allocated) for a
    /// zero size.
    fn block(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        if layout.size() == 0 {
            return Ok(dangling(layout.align()));
        }
        let heap = self.raw.as_ptr();
        let p = if layout.align() <= 16 && layout.align() <= layout.size() {
            // SAFETY: the heap is live and used from this thread only (Heap
            // is !Sync and `&self` is held); blocks of `size` >= `align`
            // bytes are aligned to min(16, size).
            unsafe { sys::ward_heap_malloc(heap, layout.size()) }
        } else {
            // SAFETY: as above; a Layout's alignment is a power of two.
            unsafe { sys::ward_heap_aligned_alloc(heap, layout.align(), layout.size()) }
        };
        non_null(p)
    }

    /// Moves `value` into a block of this heap.
    ///
    /// ```
    /// let heap = ward::Heap::new();
    /// let mut b = heap.alloc(String::from("heap"));
    /// b.push('!');
    /// assert_eq!(*b, "heap!");
    /// ```
    pub fn alloc<T>(&self, value: T) -> HeapBox<'_, T> {
        match self.try_alloc(value) {
            Ok(b) => b,
            Err(_) => fail(Layout::new::<T>()),
        }
    }

    /// [`alloc`](Heap::alloc), returning an error instead of aborting (the
    /// value is dropped then).
    ///
    /// ```
    /// let heap = ward::Heap::new();
    /// assert_eq!(*heap.try_alloc(5u8).unwrap(), 5);
    /// ```
    pub fn try_alloc<T>(&self, value: T) -> Result<HeapBox<'_, T>, AllocError> {
        let p = self.block(Layout::new::<T>())?.cast::<T>();
        // SAFETY: p is valid for writes of a T and aligned.
        unsafe { p.as_ptr().write(value) };
        // SAFETY: p holds an initialised T in a block of this heap (or is
        // dangling for a zero-sized T), owned by the new box.
        Ok(unsafe { HeapBox::from_raw(p) })
    }

    /// Copies a slice of `Copy` values into a block of this heap.
    ///
    /// ```
    /// let heap = ward::Heap::new();
    /// let b = heap.alloc_slice_copy(&[1.0f32, 2.0]);
    /// assert_eq!(&*b, &[1.0, 2.0]);
    /// ```
    pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> HeapBox<'_, [T]> {
        match self.try_alloc_slice_copy(src) {
            Ok(b) => b,
            Err(_) => fail(Layout::for_value(src)),
        }
    }

    /// [`alloc_slice_copy`](Heap::alloc_slice_copy), returning an error
    /// instead of aborting.
    ///
    /// ```
    /// let heap = ward::Heap::new();
    /// assert_eq!(heap.try_alloc_slice_copy(b"ab").unwrap().len(), 2);
    /// ```
    pub fn try_alloc_slice_copy<T: Copy>(&self, src: &[T]) -> Result<HeapBox<'_, [T]>, AllocError> {
        let p = self.block(Layout::for_value(src))?.cast::<T>();
        // SAFETY: p is valid for src.len() aligned T and does not overlap
        // src; the copies are initialised and owned by the new box.
        unsafe {
            ptr::copy_nonoverlapping(src.as_ptr(), p.as_ptr(), src.len());
            Ok(HeapBox::from_raw(NonNull::slice_from_raw_parts(p, src.len())))
        }
    }

    /// A slice of `len` values made by `f(0)`, `f(1)`, ... in a block of this
    /// heap. If `f` panics, the values already made are dropped.
    ///
    /// ```
    /// let heap = ward::Heap::new();
    /// let squares = heap.alloc_slice_fill_with(4, |i| i * i);
    /// assert_eq!(&*squares, &[0, 1, 4, 9]);
    /// ```
    pub fn alloc_slice_fill_with<T, F: FnMut(usize) -> T>(&self, len: usize, f: F) -> HeapBox<'_, [T]> {
        let layout = Layout::array::<T>(len).unwrap_or_else(|_| capacity_overflow());
        match self.try_alloc_slice_fill_with(len, f) {
            Ok(b) => b,
            Err(_) => fail(layout),
        }
    }

    /// [`alloc_slice_fill_with`](Heap::alloc_slice_fill_with), returning an
    /// error instead of aborting (or panicking on a length too large).
    ///
    /// ```
    /// let heap = ward::Heap::new();
    /// assert!(heap.try_alloc_slice_fill_with(usize::MAX / 4, |_| 0u32).is_err());
    /// ```
    pub fn try_alloc_slice_fill_with<T, F: FnMut(usize) -> T>(
        &self,
        len: usize,
        mut f: F,
    ) -> Result<HeapBox<'_, [T]>, AllocError> {
        let layout = Layout::array::<T>(len).map_err(|_| AllocError)?;
        let block = self.block(layout)?;
        let p = block.cast::<T>().as_ptr();

        /// Drops the elements made so far, and frees the block, if `f` panics.
        struct Partial<T> {
            ptr: *mut T,
            done: usize,
            allocated: bool,
        }
        impl<T> Drop for Partial<T> {
            fn drop(&mut self) {
                // SAFETY: the first `done` elements are initialised and
                // referenced by nothing else; the block is ours to free once.
                unsafe {
                    ptr::drop_in_place(ptr::slice_from_raw_parts_mut(self.ptr, self.done));
                    if self.allocated {
                        sys::ward_free(self.ptr.cast());
                    }
                }
            }
        }
        let mut partial = Partial { ptr: p, done: 0, allocated: layout.size() != 0 };
        for i in 0..len {
            let value = f(i);
            // SAFETY: i < len: in the block, aligned.
            unsafe { p.add(i).write(value) };
            partial.done = i + 1;
        }
        mem::forget(partial);
        // SAFETY: `len` initialised elements in a block of this heap (or
        // dangling for a zero size), owned by the new box.
        Ok(unsafe { HeapBox::from_raw(NonNull::slice_from_raw_parts(block.cast::<T>(), len)) })
    }

    /// Copies a string into a block of this heap.
    ///
    /// ```
    /// let heap = ward::Heap::new();
    /// assert_eq!(&*heap.alloc_str("hi"), "hi");
    /// ```
    pub fn alloc_str(&self, s: &str) -> HeapBox<'_, str> {
        match self.try_alloc_str(s) {
            Ok(b) => b,
            Err(_) => fail(Layout::for_value(s)),
        }
    }

    /// [`alloc_str`](Heap::alloc_str), returning an error instead of aborting.
    ///
    /// ```
    /// let heap = ward::Heap::new();
    /// assert_eq!(&*heap.try_alloc_str("").unwrap(), "");
    /// ```
    pub fn try_alloc_str(&self, s: &str) -> Result<HeapBox<'_, str>, AllocError> {
        let bytes = ManuallyDrop::new(self.try_alloc_slice_copy(s.as_bytes())?);
        let p = bytes.ptr.as_ptr() as *mut str;
        // SAFETY: the bytes are a copy of a str (valid UTF-8); `[u8]` and
        // `str` have the same layout; ownership moves to the new box.
        Ok(unsafe { HeapBox::from_raw(NonNull::new_unchecked(p)) })
    }

    /// The C handle, for calls through [`ward::sys`](crate::sys). It stays
    /// owned by this `Heap`: do not destroy it.
    ///
    /// ```
    /// let heap = ward::Heap::new();
    /// // SAFETY: the heap is live and used from this thread; the block is
    /// // freed once.
    /// unsafe {
    ///     let p = ward::sys::ward_heap_calloc(heap.as_raw(), 4, 8);
    ///     assert!(!p.is_null());
    ///     ward::sys::ward_free(p);
    /// }
    /// ```
    pub fn as_raw(&self) -> *mut sys::ward_heap_t {
        self.raw.as_ptr()
    }
}

impl Default for Heap {
    /// [`Heap::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Heap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Heap").field("raw", &self.raw).finish()
    }
}

impl Drop for Heap {
    /// Releases every block still in the heap, and the heap.
    fn drop(&mut self) {
        // SAFETY: the heap is live and destroyed once. Every HeapBox borrows
        // the heap, so all are gone — dropped, possibly in other threads that
        // were joined since (scoped threads), so their frees happened before.
        unsafe { sys::ward_heap_destroy(self.raw.as_ptr()) }
    }
}

/// An owning pointer to a value in a [`Heap`]: dropping it drops the value
/// and frees its block.
///
/// ```
/// let heap = ward::Heap::new();
/// let b: ward::HeapBox<'_, [u32]> = heap.alloc_slice_copy(&[1, 2, 3]);
/// assert_eq!(b.iter().sum::<u32>(), 6);
/// ```
pub struct HeapBox<'h, T: ?Sized> {
    ptr: NonNull<T>,
    /// Borrows the heap (without making the box `!Send` as `&Heap` would).
    _heap: PhantomData<&'h ()>,
    /// Owns a `T`.
    _owns: PhantomData<T>,
}

// SAFETY: the box owns its T; ward frees heap blocks from any thread
// (ward_free), and the heap outlives the box ('h), so the free never races
// with the heap's destruction.
unsafe impl<T: ?Sized + Send> Send for HeapBox<'_, T> {}
// SAFETY: `&HeapBox<T>` only gives `&T`.
unsafe impl<T: ?Sized + Sync> Sync for HeapBox<'_, T> {}

impl<'h, T: ?Sized> HeapBox<'h, T> {
    /// # Safety
    ///
    /// `ptr` holds an initialised `T`, in a block of ward (from the heap
    /// `'h` borrows) that it starts, or dangling when the `T` is zero-sized;
    /// the box becomes its only owner.
    unsafe fn from_raw(ptr: NonNull<T>) -> Self {
        HeapBox { ptr, _heap: PhantomData, _owns: PhantomData }
    }

    /// Leaks the box: the value stays in the heap, never dropped, and its
    /// block is released with the heap. The reference lives as long as the
    /// heap's borrow.
    ///
    /// ```
    /// let heap = ward::Heap::new();
    /// let list: Vec<&mut u64> = (0..10).map(|i| ward::HeapBox::leak(heap.alloc(i))).collect();
    /// assert_eq!(*list[9], 9);
    /// drop(list);
    /// drop(heap); // the ten blocks go with the heap
    /// ```
    pub fn leak(b: Self) -> &'h mut T
    where
        T: 'h,
    {
        let b = ManuallyDrop::new(b);
        // SAFETY: the value is initialised and, the box being forgotten,
        // referenced only by the result; the block stays valid until the
        // heap is destroyed, which the borrow 'h prevents until it ends.
        unsafe { &mut *b.ptr.as_ptr() }
    }

    /// A raw pointer to the value.
    ///
    /// ```
    /// let heap = ward::Heap::new();
    /// let b = heap.alloc(3u8);
    /// // SAFETY: the box is alive.
    /// assert_eq!(unsafe { *ward::HeapBox::as_ptr(&b) }, 3);
    /// ```
    pub fn as_ptr(b: &Self) -> *const T {
        b.ptr.as_ptr()
    }
}

impl<T> HeapBox<'_, T> {
    /// Moves the value out and frees the block.
    ///
    /// ```
    /// let heap = ward::Heap::new();
    /// let s: String = heap.alloc(String::from("out")).into_inner();
    /// assert_eq!(s, "out");
    /// ```
    pub fn into_inner(self) -> T {
        let b = ManuallyDrop::new(self);
        // SAFETY: the value is initialised and read once; the box is
        // forgotten, so it is neither dropped again nor freed twice; the
        // block (if any: not for a zero-sized T) is freed once.
        unsafe {
            let value = b.ptr.as_ptr().read();
            if mem::size_of::<T>() != 0 {
                sys::ward_free(b.ptr.as_ptr().cast());
            }
            value
        }
    }
}

impl<T: ?Sized> Drop for HeapBox<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the value is initialised and owned by this box.
        let size = mem::size_of_val(unsafe { self.ptr.as_ref() });
        // SAFETY: dropped once; then the block (allocated iff the value has a
        // size) is freed once, while the heap is alive ('h).
        unsafe {
            ptr::drop_in_place(self.ptr.as_ptr());
            if size != 0 {
                sys::ward_free(self.ptr.as_ptr().cast());
            }
        }
    }
}

impl<T: ?Sized> Deref for HeapBox<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: initialised, owned by this box, borrowed through `&self`.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: ?Sized> DerefMut for HeapBox<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: initialised, owned by this box, borrowed through `&mut self`.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T: ?Sized> AsRef<T> for HeapBox<'_, T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T: ?Sized> AsMut<T> for HeapBox<'_, T> {
    fn as_mut(&mut self) -> &mut T {
        self
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for HeapBox<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for HeapBox<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: ?Sized + PartialEq> PartialEq for HeapBox<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: ?Sized + Eq> Eq for HeapBox<'_, T> {}
