//! The workloads with Debian's mimalloc as the global allocator, through FFI.
#[cfg(have_mimalloc)]
#[global_allocator]
static GLOBAL: alloc_bench::mimalloc::MiMalloc = alloc_bench::mimalloc::MiMalloc;

fn main() {
    if cfg!(have_mimalloc) {
        std::process::exit(alloc_bench::main("mimalloc"));
    }
    eprintln!("rb-mimalloc: built without mimalloc (libmimalloc.so.2 was not found)");
    std::process::exit(3);
}
