//! The workloads with Rust's default allocator (glibc's malloc).
#[global_allocator]
static GLOBAL: std::alloc::System = std::alloc::System;

fn main() {
    std::process::exit(alloc_bench::main("system"));
}
