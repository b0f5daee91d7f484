//! Links Debian's mimalloc (libmimalloc.so.2, package libmimalloc2.0) into the
//! rb-mimalloc binary only. No crate from a registry: the library is passed to
//! the linker by its full path, so the `libmimalloc.so` symlink of the -dev
//! package is not needed. Without it, rb-mimalloc is built as a stub that says
//! so.
use std::path::{Path, PathBuf};

/// `$MIMALLOC_LIB`, else libmimalloc.so.2 in a (multiarch) library directory.
fn find_mimalloc() -> Option<PathBuf> {
    if let Some(lib) = std::env::var_os("MIMALLOC_LIB") {
        return Some(PathBuf::from(lib));
    }
    let mut dirs = vec![PathBuf::from("/usr/lib"), PathBuf::from("/usr/local/lib"), PathBuf::from("/lib")];
    for top in ["/usr/lib", "/lib"] {
        if let Ok(entries) = std::fs::read_dir(top) {
            let mut sub: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
            sub.sort();
            dirs.extend(sub);
        }
    }
    dirs.into_iter().map(|d| d.join("libmimalloc.so.2")).find(|p| p.exists())
}

fn main() {
    println!("cargo:rerun-if-env-changed=MIMALLOC_LIB");
    println!("cargo:rustc-check-cfg=cfg(have_mimalloc)");
    match find_mimalloc() {
        Some(lib) if Path::new(&lib).exists() => {
            println!("cargo:rerun-if-changed={}", lib.display());
            println!("cargo:rustc-cfg=have_mimalloc");
            println!("cargo:rustc-link-arg-bin=rb-mimalloc={}", lib.display());
        }
        _ => {
            // A path that does not exist counts as changed: the next build
            // looks again (after an install, say).
            println!("cargo:rerun-if-changed=/usr/lib/libmimalloc.so.2");
            println!(
                "cargo:warning=libmimalloc.so.2 not found (install libmimalloc2.0, or set MIMALLOC_LIB): \
                 rb-mimalloc will only report that"
            );
        }
    }
}
