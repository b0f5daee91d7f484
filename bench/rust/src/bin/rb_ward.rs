//! The workloads with ward as the global allocator.
#[global_allocator]
static GLOBAL: ward::Ward = ward::Ward;

fn main() {
    std::process::exit(alloc_bench::main("ward"));
}
