//! Passes on the mode of the library that `ward-sys` links (its `mode`
//! metadata: `fast`, `hardened` or `debug`), for `ward::mode()`. Read from
//! ward-sys's build rather than from this crate's features, so that it is
//! right however the features were enabled.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_WARD_MODE");
    let mode = std::env::var("DEP_WARD_MODE").unwrap_or_else(|_| "fast".to_string());
    println!("cargo:rustc-env=WARD_LINKED_MODE={mode}");
}
