//! Builds ward's C sources from this repository into a static archive and
//! tells cargo to link it (or, with the `dynamic` feature, links the
//! installed `libward-prefixed.so`).
//!
//! Nothing here needs a crate from a registry: the system C compiler (`cc`,
//! or `$CC`) and archiver (`ar`, or `$AR`) are run with `std::process`.
//!
//! What is compiled: every `src/*.c` except `src/override.c` (which defines
//! `malloc`, `free`, ... and would replace the allocator of the whole Rust
//! program), plus `src/os/linux.c`. That is the `libward-prefixed` library of
//! the CMake build: the `ward_*` names only. Flags follow CMakeLists.txt:
//! `-std=gnu11 -O3 -DNDEBUG -fPIC -fvisibility=hidden -ftls-model=initial-exec
//! -fno-builtin-malloc -fno-builtin-free -D_GNU_SOURCE -DWARD_GUARD=<mode>`.
//!
//! Environment:
//! - `WARD_SOURCE_DIR`: the ward checkout (default: three levels up from this
//!   crate, i.e. the repository holding `bindings/rust/ward-sys`).
//! - `CC`, `AR`: the C compiler and archiver (default `cc`, `ar`).
//! - `WARD_CFLAGS`: extra flags for the C compiler, split on whitespace.
//! - `WARD_LIB_DIR`: with `dynamic`, the directory holding
//!   `libward-prefixed.so`.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn main() {
    for var in ["WARD_SOURCE_DIR", "CC", "AR", "WARD_CFLAGS", "WARD_LIB_DIR"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");

    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = match env::var_os("WARD_SOURCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => manifest.join("../../.."),
    };
    let src = root.join("src");
    let include = root.join("include");
    if !include.join("ward.h").is_file() || !src.join("os/linux.c").is_file() {
        panic!(
            "ward-sys: ward's C sources not found under {} (expected include/ward.h and src/); \
             set WARD_SOURCE_DIR to a ward checkout",
            root.display()
        );
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));

    let feature = |name: &str| env::var_os(format!("CARGO_FEATURE_{name}")).is_some();
    let guard = if feature("DEBUG_MODE") {
        2
    } else if feature("HARDENED_MODE") {
        1
    } else {
        0
    };
    let dynamic = feature("DYNAMIC");
    if dynamic && guard != 0 {
        panic!(
            "ward-sys: the `dynamic` feature links libward-prefixed.so, which is ward's fast mode; \
             `debug-mode` and `hardened-mode` need the static build (drop `dynamic`)"
        );
    }

    // The layout probe: the sizes and field offsets of the header's structs
    // as the C compiler lays them out, compared with the Rust declarations
    // by this crate's tests.
    let probe = out.join("ward_sys_layout.c");
    fs::write(&probe, LAYOUT_PROBE).expect("write layout probe");
    let probe_obj = out.join("ward_sys_layout.o");
    let mut probe_cmd = compile_command(&probe, &probe_obj, &include, &src, 0);
    wait_ok(spawn(&mut probe_cmd), &probe_cmd);
    archive(&out, "ward_sys_layout", &[probe_obj]);
    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=static=ward_sys_layout");
    println!("cargo:rerun-if-changed={}", include.join("ward.h").display());

    if dynamic {
        link_dynamic(&root);
        return;
    }

    let mut sources: Vec<PathBuf> = fs::read_dir(&src)
        .expect("read src/")
        .map(|e| e.expect("read src/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "c") && p.file_name().is_some_and(|n| n != "override.c"))
        .collect();
    sources.sort();
    sources.push(src.join("os/linux.c"));
    // Headers: any change rebuilds.
    println!("cargo:rerun-if-changed={}", src.display());
    for entry in fs::read_dir(&src).expect("read src/") {
        let path = entry.expect("read src/ entry").path();
        if path.is_file() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    println!("cargo:rerun-if-changed={}", src.join("os/linux.c").display());

    // Compile in parallel, as many at once as cargo allows.
    let jobs: usize = env::var("NUM_JOBS").ok().and_then(|j| j.parse().ok()).unwrap_or(2).max(1);
    let mut objects = Vec::new();
    let mut running: Vec<(Child, Command)> = Vec::new();
    for source in &sources {
        let stem = source.file_stem().expect("source name").to_string_lossy().into_owned();
        let name = if source.parent().is_some_and(|p| p.ends_with("os")) { format!("os_{stem}") } else { stem };
        let object = out.join(format!("{name}.o"));
        let mut cmd = compile_command(source, &object, &include, &src, guard);
        if running.len() >= jobs {
            let (child, cmd) = running.remove(0);
            wait_ok(child, &cmd);
        }
        let child = spawn(&mut cmd);
        running.push((child, cmd));
        objects.push(object);
    }
    for (child, cmd) in running {
        wait_ok(child, &cmd);
    }

    let lib = match guard {
        2 => "ward_sys_debug",
        1 => "ward_sys_hardened",
        _ => "ward_sys_fast",
    };
    archive(&out, lib, &objects);
    println!("cargo:rustc-link-lib=static={lib}");
    println!("cargo:rustc-link-lib=dylib=pthread");
    if guard > 0 {
        // The DWARF unwinder for exact stacks (the compiler's runtime).
        println!("cargo:rustc-link-lib=dylib=gcc_s");
    }
    println!("cargo:mode={}", ["fast", "hardened", "debug"][guard as usize]);
}

fn compile_command(source: &Path, object: &Path, include: &Path, src: &Path, guard: u32) -> Command {
    let cc = env::var_os("CC").unwrap_or_else(|| OsString::from("cc"));
    let mut cmd = Command::new(cc);
    // As CMake's Release build (-O3 -DNDEBUG), with debug info for backtraces.
    cmd.args(["-std=gnu11", "-O3", "-DNDEBUG", "-g", "-fPIC", "-Wall", "-Wextra"])
        .args(["-fvisibility=hidden", "-ftls-model=initial-exec", "-fno-builtin-malloc", "-fno-builtin-free"])
        .arg("-D_GNU_SOURCE")
        .arg(format!("-DWARD_GUARD={guard}"));
    if guard > 1 {
        // Debug builds walk their own frames when recording stacks.
        cmd.arg("-fno-omit-frame-pointer");
    }
    if let Ok(extra) = env::var("WARD_CFLAGS") {
        cmd.args(extra.split_whitespace());
    }
    cmd.arg("-I").arg(include).arg("-I").arg(src).arg("-c").arg(source).arg("-o").arg(object);
    cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
    cmd
}

fn spawn(cmd: &mut Command) -> Child {
    cmd.spawn().unwrap_or_else(|e| {
        panic!(
            "ward-sys: cannot run the C compiler ({e}): {cmd:?}\n\
             install one (Debian: apt-get install gcc) or set CC"
        )
    })
}

fn wait_ok(mut child: Child, cmd: &Command) {
    let status = child.wait().expect("wait for the C compiler");
    if !status.success() {
        panic!("ward-sys: C compilation failed ({status}): {cmd:?}");
    }
}

fn archive(out: &Path, name: &str, objects: &[PathBuf]) {
    let path = out.join(format!("lib{name}.a"));
    let _ = fs::remove_file(&path);
    let ar = env::var_os("AR").unwrap_or_else(|| OsString::from("ar"));
    let mut cmd = Command::new(ar);
    cmd.arg("crs").arg(&path).args(objects);
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("ward-sys: cannot run the archiver ({e}): {cmd:?}; install binutils or set AR"));
    if !status.success() {
        panic!("ward-sys: archiving failed ({status}): {cmd:?}");
    }
}

/// `dynamic`: link `libward-prefixed.so`, found in `$WARD_LIB_DIR`, through
/// pkg-config, or in this checkout's CMake build directory; otherwise the
/// linker's default paths (an installed ward).
fn link_dynamic(root: &Path) {
    let dir = env::var_os("WARD_LIB_DIR").map(PathBuf::from).or_else(|| {
        let out = Command::new("pkg-config").args(["--variable=libdir", "ward"]).output().ok()?;
        if !out.status.success() {
            return None;
        }
        let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
        dir.join("libward-prefixed.so").exists().then_some(dir)
    });
    let dir = dir.or_else(|| {
        let build = root.join("build");
        build.join("libward-prefixed.so").exists().then_some(build)
    });
    if let Some(dir) = &dir {
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:libdir={}", dir.display());
    }
    println!("cargo:rustc-link-lib=dylib=ward-prefixed");
    println!("cargo:mode=fast");
}

const LAYOUT_PROBE: &str = r#"/* Generated by ward-sys's build.rs: the C layout of ward.h's structs. */
#include <stddef.h>
#include <ward.h>

__attribute__((visibility("default"))) const size_t ward_sys_layout[] = {
    sizeof(ward_stats_t),
    _Alignof(ward_stats_t),
    offsetof(ward_stats_t, in_use),
    offsetof(ward_stats_t, peak_in_use),
    offsetof(ward_stats_t, reserved),
    offsetof(ward_stats_t, committed),
    offsetof(ward_stats_t, resident),
    offsetof(ward_stats_t, purges),
    offsetof(ward_stats_t, segments),
    offsetof(ward_stats_t, huge_blocks),
    sizeof(ward_arena_mark_t),
    _Alignof(ward_arena_mark_t),
    offsetof(ward_arena_mark_t, arena_),
    offsetof(ward_arena_mark_t, pos_),
    offsetof(ward_arena_mark_t, seq_),
    offsetof(ward_arena_mark_t, rewinds_),
    offsetof(ward_arena_mark_t, resets_),
    WARD_VERSION_MAJOR,
    WARD_VERSION_MINOR,
    WARD_VERSION_PATCH,
    sizeof(size_t),
    sizeof(unsigned long long),
    sizeof(int),
};
"#;
