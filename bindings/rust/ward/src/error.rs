use std::alloc::Layout;
use std::fmt;
use std::ptr::NonNull;

/// The error of the `try_*` methods: ward could not serve the request (out of
/// memory, or a size or alignment too large to represent).
///
/// ```
/// use std::alloc::Layout;
/// let arena = ward::Arena::new();
/// // Far more than the address space can give.
/// let huge = Layout::from_size_align(isize::MAX as usize - 4096, 16).unwrap();
/// let err = arena.try_alloc_layout(huge).unwrap_err();
/// assert_eq!(err, ward::AllocError);
/// assert_eq!(err.to_string(), "memory allocation failed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AllocError;

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("memory allocation failed")
    }
}

impl std::error::Error for AllocError {}

/// The plain (non-`try`) methods' answer to an allocation failure.
#[cold]
pub(crate) fn fail(layout: Layout) -> ! {
    std::alloc::handle_alloc_error(layout)
}

/// A slice length whose size overflows `isize`, as `Vec` reports it.
#[cold]
pub(crate) fn capacity_overflow() -> ! {
    panic!("capacity overflow")
}

/// The pointer handed out for zero-sized requests: non-null, aligned, never
/// dereferenced for more than 0 bytes, never freed.
#[inline]
pub(crate) fn dangling(align: usize) -> NonNull<u8> {
    // `align` is a power of two (from a Layout), so it is non-zero.
    NonNull::new(std::ptr::without_provenance_mut(align)).unwrap_or(NonNull::dangling())
}

/// A non-null C result, or the error.
#[inline]
pub(crate) fn non_null<T>(p: *mut std::ffi::c_void) -> Result<NonNull<T>, AllocError> {
    NonNull::new(p.cast::<T>()).ok_or(AllocError)
}
