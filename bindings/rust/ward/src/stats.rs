use ward_sys as sys;

/// ward's statistics for the whole process (`ward_stats_get`).
///
/// ```
/// let s = ward::stats();
/// assert!(s.resident > 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes in live blocks (exact with `WARD_STATS=1` in the environment,
    /// else counted a page at a time: an upper bound).
    pub in_use: usize,
    /// Highest `in_use` seen (`WARD_STATS=1` only, else 0).
    pub peak_in_use: usize,
    /// Address space ward holds.
    pub reserved: usize,
    /// Bytes ward may have touched and not returned to the OS.
    pub committed: usize,
    /// The process's resident set, as the kernel reports it.
    pub resident: usize,
    /// Times memory was returned to the OS.
    pub purges: usize,
    /// Segments in use.
    pub segments: usize,
    /// Live blocks mapped on their own (above 2 MiB).
    pub huge_blocks: usize,
}

/// ward's statistics now.
///
/// ```
/// let heap = ward::Heap::new();
/// let big = heap.alloc_slice_fill_with(1 << 20, |_| 0u64); // 8 MiB: a huge block
/// assert!(ward::stats().huge_blocks >= 1);
/// # drop(big);
/// ```
pub fn stats() -> Stats {
    let mut s = sys::ward_stats_t::default();
    // SAFETY: `s` is a valid ward_stats_t to fill.
    unsafe { sys::ward_stats_get(&mut s) };
    Stats {
        in_use: s.in_use,
        peak_in_use: s.peak_in_use,
        reserved: s.reserved,
        committed: s.committed,
        resident: s.resident,
        purges: s.purges,
        segments: s.segments,
        huge_blocks: s.huge_blocks,
    }
}

/// Prints ward's human-readable summary to standard error.
///
/// ```no_run
/// ward::print_stats();
/// ```
pub fn print_stats() {
    // SAFETY: writes to file descriptor 2; a closed descriptor makes the
    // write fail harmlessly.
    unsafe { sys::ward_stats_print(2) }
}

/// Returns unused memory to the OS now, without waiting for the purge delay.
/// `true` if anything was returned.
///
/// ```
/// let returned: bool = ward::trim();
/// # let _ = returned;
/// ```
pub fn trim() -> bool {
    // SAFETY: no preconditions.
    unsafe { sys::ward_trim() != 0 }
}

/// The C library's version, e.g. `"0.1.0"`.
///
/// ```
/// assert_eq!(ward::version(), "0.1.0");
/// ```
pub fn version() -> &'static str {
    // SAFETY: ward_version returns a static NUL-terminated ASCII string.
    let v = unsafe { std::ffi::CStr::from_ptr(sys::ward_version()) };
    v.to_str().unwrap_or("?")
}

/// The mode the linked library was built in: `"fast"`, `"hardened"` (feature
/// `hardened-mode`) or `"debug"` (feature `debug-mode`).
///
/// ```
/// assert!(["fast", "hardened", "debug"].contains(&ward::mode()));
/// ```
pub fn mode() -> &'static str {
    env!("WARD_LINKED_MODE")
}
