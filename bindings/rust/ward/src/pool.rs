use std::alloc::Layout;
use std::fmt;
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::ops::{Deref, DerefMut};
use std::ptr::{self, NonNull};

use ward_sys as sys;

use crate::error::{AllocError, fail, non_null};

/// A pool of objects of one type: allocation and free in O(1), no per-object
/// header. [`alloc`](Pool::alloc) returns a [`PoolBox`] that drops its value
/// and returns the slot to the pool when it goes out of scope; the slot is
/// handed out again next.
///
/// ```
/// let pool: ward::Pool<[u64; 4]> = ward::Pool::new();
/// let a = pool.alloc([1; 4]);
/// let addr = &*a as *const _ as usize;
/// drop(a);
/// let b = pool.alloc([2; 4]);
/// assert_eq!(&*b as *const _ as usize, addr); // the slot came back
/// ```
///
/// Dropping the pool releases every slot at once (slots of
/// [leaked](PoolBox::leak) boxes included; their values are not dropped).
///
/// # Lifetimes and threads
///
/// A box borrows its pool. A pool is used by one thread at a time: `Pool<T>`
/// is [`Send`] when `T` is (moving it needs every box gone), but neither the
/// pool nor its boxes are [`Sync`], and boxes are not `Send` — freeing into
/// the pool must happen on its thread.
///
/// ```compile_fail,E0277
/// let pool = ward::Pool::new();
/// let b = pool.alloc(1u32);
/// std::thread::scope(|s| {
///     s.spawn(move || drop(b)); // error: `PoolBox` is not `Send`
/// });
/// ```
///
/// # Limits
///
/// `T` may be at most 1 MiB ([`MAX_OBJECT_SIZE`](Pool::MAX_OBJECT_SIZE)),
/// aligned to at most 512 KiB ([`MAX_ALIGN`](Pool::MAX_ALIGN)): a larger type
/// fails to compile when the pool is made.
pub struct Pool<T> {
    raw: NonNull<sys::ward_pool_t>,
    /// Not `Send` (implemented below for `T: Send`) nor `Sync`; does not own
    /// `T`s (boxes do).
    _marker: PhantomData<PoolMarker<T>>,
}

/// `*mut ()`: neither `Send` nor `Sync`; `fn() -> T`: about `T` without
/// owning one.
type PoolMarker<T> = (*mut (), fn() -> T);

// SAFETY: ward lets a pool move between threads when the hand-over is
// synchronised (moving a value is). Moving needs ownership, so no PoolBox is
// alive; leaked values move with their slots and are never touched again
// except by their leaked references, which borrowed the pool and are gone.
unsafe impl<T: Send> Send for Pool<T> {}

impl<T> Pool<T> {
    /// The largest object size a pool takes: 1 MiB.
    ///
    /// ```
    /// assert_eq!(ward::Pool::<u8>::MAX_OBJECT_SIZE, 1 << 20);
    /// ```
    ///
    /// A larger type fails to compile:
    ///
    /// ```compile_fail,E0080
    /// let pool = ward::Pool::<[u8; (1 << 20) + 1]>::new();
    /// ```
    pub const MAX_OBJECT_SIZE: usize = 1 << 20;

    /// The largest alignment a pool takes: 512 KiB. (ward accepts 1 MiB, but
    /// then grows the pool by chunks of more than 2 MiB, whose objects
    /// `ward_pool_free` does not recognise.)
    ///
    /// ```
    /// #[repr(align(524288))]
    /// struct Aligned(u8);
    /// let pool = ward::Pool::new();
    /// let b = pool.alloc(Aligned(1));
    /// assert_eq!(ward::PoolBox::as_ptr(&b) as usize % ward::Pool::<Aligned>::MAX_ALIGN, 0);
    /// ```
    ///
    /// A type aligned more fails to compile, zero-sized or not:
    ///
    /// ```compile_fail,E0080
    /// #[repr(align(1048576))]
    /// struct Aligned;
    /// let pool = ward::Pool::<Aligned>::new();
    /// ```
    pub const MAX_ALIGN: usize = 512 << 10;

    const FITS: () = assert!(
        mem::size_of::<T>() <= Self::MAX_OBJECT_SIZE && mem::align_of::<T>() <= Self::MAX_ALIGN,
        "ward::Pool: objects are at most 1 MiB, aligned to at most 512 KiB"
    );

    /// A new, empty pool (it takes memory at the first allocation).
    ///
    /// ```
    /// let pool = ward::Pool::<String>::new();
    /// assert_eq!(pool.live(), 0);
    /// ```
    pub fn new() -> Self {
        Self::try_new().unwrap_or_else(|_| fail(Layout::new::<T>()))
    }

    /// [`Pool::new`], returning an error instead of aborting.
    ///
    /// ```
    /// let pool = ward::Pool::<u8>::try_new().expect("a pool");
    /// # drop(pool);
    /// ```
    pub fn try_new() -> Result<Self, AllocError> {
        let () = Self::FITS;
        // SAFETY: size and alignment are within ward's limits (checked at
        // compile time above); an alignment from Rust is a power of two.
        let raw = non_null(unsafe { sys::ward_pool_new(mem::size_of::<T>(), mem::align_of::<T>()) }.cast())?;
        Ok(Pool { raw, _marker: PhantomData })
    }

    /// Moves `value` into a slot of the pool.
    ///
    /// ```
    /// #[derive(Debug, PartialEq)]
    /// struct Node { key: u32, next: Option<usize> }
    /// let pool = ward::Pool::new();
    /// let n = pool.alloc(Node { key: 7, next: None });
    /// assert_eq!(n.key, 7);
    /// ```
    pub fn alloc(&self, value: T) -> PoolBox<'_, T> {
        match self.try_alloc(value) {
            Ok(b) => b,
            Err(_) => fail(Layout::new::<T>()),
        }
    }

    /// [`alloc`](Pool::alloc), returning an error instead of aborting (the
    /// value is dropped then).
    ///
    /// ```
    /// let pool = ward::Pool::new();
    /// assert_eq!(*pool.try_alloc(1i8).unwrap(), 1);
    /// ```
    pub fn try_alloc(&self, value: T) -> Result<PoolBox<'_, T>, AllocError> {
        // SAFETY: the pool is live and used from this thread only (Pool is
        // !Sync and `&self` is held).
        let p = non_null::<T>(unsafe { sys::ward_pool_alloc(self.raw.as_ptr()) })?;
        // SAFETY: a slot is valid for writes of a T and aligned to T.
        unsafe { p.as_ptr().write(value) };
        Ok(PoolBox { ptr: p, pool: self, _owns: PhantomData })
    }

    /// Objects allocated and not returned (leaked ones included).
    ///
    /// ```
    /// let pool = ward::Pool::new();
    /// let boxes: Vec<_> = (0..5).map(|i| pool.alloc(i)).collect();
    /// assert_eq!(pool.live(), 5);
    /// # drop(boxes);
    /// ```
    pub fn live(&self) -> usize {
        // SAFETY: the pool is live.
        unsafe { sys::ward_pool_live(self.raw.as_ptr()) }
    }

    /// Bytes of the chunks the pool holds.
    ///
    /// ```
    /// let pool = ward::Pool::new();
    /// let b = pool.alloc(0u64);
    /// assert!(pool.reserved() >= 8);
    /// # drop(b);
    /// ```
    pub fn reserved(&self) -> usize {
        // SAFETY: the pool is live.
        unsafe { sys::ward_pool_reserved(self.raw.as_ptr()) }
    }

    /// The object size the pool was made with: `size_of::<T>()`.
    ///
    /// ```
    /// assert_eq!(ward::Pool::<[u8; 24]>::new().object_size(), 24);
    /// ```
    pub fn object_size(&self) -> usize {
        // SAFETY: the pool is live.
        unsafe { sys::ward_pool_object_size(self.raw.as_ptr()) }
    }

    /// The C handle, for calls through [`ward::sys`](crate::sys). It stays
    /// owned by this `Pool`: do not destroy it, nor free its boxes' slots.
    ///
    /// ```
    /// let pool = ward::Pool::<u32>::new();
    /// // SAFETY: the pool is live.
    /// assert_eq!(unsafe { ward::sys::ward_pool_live(pool.as_raw()) }, 0);
    /// ```
    pub fn as_raw(&self) -> *mut sys::ward_pool_t {
        self.raw.as_ptr()
    }
}

impl<T> Default for Pool<T> {
    /// [`Pool::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("object_size", &self.object_size())
            .field("live", &self.live())
            .field("reserved", &self.reserved())
            .finish()
    }
}

impl<T> Drop for Pool<T> {
    /// Releases every slot, and the pool.
    fn drop(&mut self) {
        // SAFETY: the pool is live and destroyed once; every box borrows the
        // pool, so none is alive.
        unsafe { sys::ward_pool_destroy(self.raw.as_ptr()) }
    }
}

/// An owning pointer to a value in a [`Pool`]: dropping it drops the value and
/// returns the slot to the pool.
///
/// ```
/// let pool = ward::Pool::new();
/// let mut b: ward::PoolBox<'_, Vec<u8>> = pool.alloc(Vec::new());
/// b.push(1);
/// assert_eq!(b.len(), 1);
/// ```
pub struct PoolBox<'p, T> {
    ptr: NonNull<T>,
    /// The pool the slot goes back to (makes the box !Send and !Sync).
    pool: &'p Pool<T>,
    /// Owns a `T`.
    _owns: PhantomData<T>,
}

impl<'p, T> PoolBox<'p, T> {
    /// Moves the value out and returns the slot to the pool.
    ///
    /// ```
    /// let pool = ward::Pool::new();
    /// let v = pool.alloc(vec![1, 2]).into_inner();
    /// assert_eq!(v, [1, 2]);
    /// assert_eq!(pool.live(), 0);
    /// ```
    pub fn into_inner(self) -> T {
        let b = ManuallyDrop::new(self);
        // SAFETY: the value is initialised and read once; the box is
        // forgotten, so neither dropped again nor freed twice; the slot goes
        // back to its own pool, from the pool's thread (the box is !Send).
        unsafe {
            let value = b.ptr.as_ptr().read();
            sys::ward_pool_free(b.pool.raw.as_ptr(), b.ptr.as_ptr().cast());
            value
        }
    }

    /// Leaks the box: the value stays in its slot, never dropped, until the
    /// pool is dropped. The reference lives as long as the pool's borrow.
    ///
    /// ```
    /// let pool = ward::Pool::new();
    /// let r: &mut u32 = ward::PoolBox::leak(pool.alloc(5));
    /// *r += 1;
    /// assert_eq!((*r, pool.live()), (6, 1));
    /// ```
    pub fn leak(b: Self) -> &'p mut T
    where
        T: 'p,
    {
        let b = ManuallyDrop::new(b);
        // SAFETY: initialised and, the box being forgotten, referenced only by
        // the result; the slot stays valid until the pool is destroyed, which
        // the borrow 'p prevents until it ends.
        unsafe { &mut *b.ptr.as_ptr() }
    }

    /// A raw pointer to the value.
    ///
    /// ```
    /// let pool = ward::Pool::new();
    /// let b = pool.alloc(9u16);
    /// assert_eq!(ward::PoolBox::as_ptr(&b) as usize % 2, 0);
    /// ```
    pub fn as_ptr(b: &Self) -> *const T {
        b.ptr.as_ptr()
    }
}

impl<T> Drop for PoolBox<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the value is initialised, owned by this box and dropped
        // once; the slot goes back once to its own, live pool ('p), from the
        // pool's thread (the box is !Send).
        unsafe {
            ptr::drop_in_place(self.ptr.as_ptr());
            sys::ward_pool_free(self.pool.raw.as_ptr(), self.ptr.as_ptr().cast());
        }
    }
}

impl<T> Deref for PoolBox<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: initialised, owned by this box, borrowed through `&self`.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> DerefMut for PoolBox<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: initialised, owned by this box, borrowed through `&mut self`.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T> AsRef<T> for PoolBox<'_, T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T> AsMut<T> for PoolBox<'_, T> {
    fn as_mut(&mut self) -> &mut T {
        self
    }
}

impl<T: fmt::Debug> fmt::Debug for PoolBox<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: fmt::Display> fmt::Display for PoolBox<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: PartialEq> PartialEq for PoolBox<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Eq> Eq for PoolBox<'_, T> {}
