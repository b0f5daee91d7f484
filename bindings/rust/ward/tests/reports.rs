//! ward's own checks reach Rust programs: misuse through the raw API is
//! reported and stops the program. Each case runs in a child process (this
//! test binary, re-run with WARD_RUST_CHILD naming the case).

use std::process::Command;

fn child_case() -> Option<String> {
    std::env::var("WARD_RUST_CHILD").ok()
}

/// Runs `case` in a child and returns (exited normally, stderr).
fn run_child(test_name: &str, case: &str) -> (bool, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env("WARD_RUST_CHILD", case)
        .env("WARD_SYMBOLIZE", "0")
        .env_remove("WARD_ON_ERROR")
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The guard-mode tests below skip themselves in the fast mode: make sure the
/// mode is the one the features asked for.
#[test]
fn the_mode_is_the_one_the_features_chose() {
    let expected = if cfg!(feature = "debug-mode") {
        "debug"
    } else if cfg!(feature = "hardened-mode") {
        "hardened"
    } else {
        "fast"
    };
    assert_eq!(ward::mode(), expected);
}

#[test]
fn freeing_arena_memory_is_reported() {
    if child_case().as_deref() == Some("arena-free") {
        let arena = ward::Arena::new();
        let p = arena.alloc_layout(std::alloc::Layout::new::<[u64; 4]>());
        // SAFETY: deliberately wrong — arena memory is not malloc memory;
        // ward reports the invalid free and aborts before anything happens.
        unsafe { ward::sys::ward_free(p.as_ptr().cast()) };
        return;
    }
    let (ok, stderr) = run_child("freeing_arena_memory_is_reported", "arena-free");
    assert!(!ok, "the child should have been stopped");
    assert!(stderr.contains("ward: error: invalid free"), "stderr: {stderr}");
}

#[test]
fn a_double_free_is_reported_in_guard_modes() {
    if ward::mode() == "fast" {
        return; // the fast mode does not look for double frees
    }
    if child_case().as_deref() == Some("double-free") {
        // SAFETY: deliberately wrong — the second free is reported by the
        // guard modes, which leave the block alone and abort.
        unsafe {
            let p = ward::sys::ward_malloc(48);
            ward::sys::ward_free(p);
            ward::sys::ward_free(p);
        }
        return;
    }
    let (ok, stderr) = run_child("a_double_free_is_reported_in_guard_modes", "double-free");
    assert!(!ok);
    assert!(stderr.contains("ward: error: double free"), "stderr: {stderr}");
    if ward::mode() == "debug" {
        // Stacks of the allocation and the first free.
        assert!(stderr.contains("allocated at"), "stderr: {stderr}");
    }
}

#[test]
fn an_overflow_is_reported_in_guard_modes() {
    if ward::mode() == "fast" {
        return;
    }
    if child_case().as_deref() == Some("overflow") {
        // SAFETY: deliberately wrong — one byte written past the 40 asked
        // for lands on ward's canary, reported when the block is freed.
        unsafe {
            let p = ward::sys::ward_malloc(40).cast::<u8>();
            p.add(40).write(0x41);
            ward::sys::ward_free(p.cast());
        }
        return;
    }
    let (ok, stderr) = run_child("an_overflow_is_reported_in_guard_modes", "overflow");
    assert!(!ok);
    assert!(stderr.contains("ward: error:"), "stderr: {stderr}");
    assert!(stderr.contains("overflow") || stderr.contains("canary"), "stderr: {stderr}");
}
