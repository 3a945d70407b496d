//! Replays the fuzz corpus on the stable toolchain: every file of `fuzz/corpus/<target>/` and
//! `fuzz/artifacts/<target>/` goes through `sspi_proto::fuzzing::<target>`, the function the
//! fuzz target itself calls, so CI catches a regression without nightly or libFuzzer.
//!
//! Regenerate the handshake seeds (after a change to the contexts' output) with
//! `cargo test --all-features --test fuzz_replay -- --ignored regenerate_handshake_seeds`.

#![cfg(feature = "fuzzing")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeSet;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use sspi_proto::fuzzing::{self, TARGETS};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The sub-directories of `fuzz/<kind>/`, by name (none if `fuzz/<kind>/` does not exist).
fn target_dirs(kind: &str) -> Vec<(String, PathBuf)> {
    let Ok(entries) = fs::read_dir(fuzz_dir().join(kind)) else { return Vec::new() };
    let mut dirs: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    dirs.sort();
    dirs
}

/// Runs every file under `fuzz/<kind>/*/` through its target; returns how many ran.
fn replay(kind: &str) -> usize {
    let mut failures = Vec::new();
    let mut count = 0;
    for (name, dir) in target_dirs(kind) {
        let Some(target) = fuzzing::target(&name) else {
            failures.push(format!("fuzz/{kind}/{name}: no fuzzing function of that name"));
            continue;
        };
        let mut files: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files.iter().filter(|f| f.is_file()) {
            let data = fs::read(file).unwrap();
            count += 1;
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| target(&data))) {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{}: {message}", file.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{} failing inputs:\n{}", failures.len(), failures.join("\n"));
    count
}

#[test]
fn corpus_replays_without_panic() {
    let count = replay("corpus");
    assert!(count > 0, "fuzz/corpus is empty");
}

#[test]
fn artifacts_replay_without_panic() {
    replay("artifacts");
}

/// Every target has a fuzz target file, a non-empty seed corpus, and the other way round.
#[test]
fn targets_corpora_and_fuzz_targets_match() {
    let names: BTreeSet<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    let corpora: BTreeSet<String> = target_dirs("corpus").into_iter().map(|(n, _)| n).collect();
    let files: BTreeSet<String> = fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| Some(p.file_stem()?.to_string_lossy().into_owned()))
        .collect();
    let corpora: BTreeSet<&str> = corpora.iter().map(String::as_str).collect();
    let files: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    assert_eq!(corpora, names, "fuzz/corpus/* vs fuzzing::TARGETS");
    assert_eq!(files, names, "fuzz/fuzz_targets/*.rs vs fuzzing::TARGETS");
    for name in names {
        let source = fs::read_to_string(fuzz_dir().join("fuzz_targets").join(format!("{name}.rs")));
        let call = format!("sspi_proto::fuzzing::{name}(data)");
        assert!(source.unwrap().contains(&call), "fuzz_targets/{name}.rs does not call {call}");
        let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
        assert!(manifest.contains(&format!("name = \"{name}\"")), "fuzz/Cargo.toml lacks {name}");
    }
}

/// The handshake seeds still drive each context through a complete exchange: what the
/// generator produces today is what is committed.
#[test]
fn committed_handshake_seeds_are_current() {
    for seed in fuzzing::seeds() {
        let path = fuzz_dir().join("corpus").join(seed.target).join(seed.name);
        let committed = fs::read(&path).unwrap_or_default();
        assert!(
            committed == seed.bytes,
            "{} is stale: regenerate with `cargo test --all-features --test fuzz_replay -- \
             --ignored regenerate_handshake_seeds`",
            path.display()
        );
    }
}

#[test]
#[ignore = "writes fuzz/corpus; run by hand after the contexts' output changes"]
fn regenerate_handshake_seeds() {
    for seed in fuzzing::seeds() {
        let dir = fuzz_dir().join("corpus").join(seed.target);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(seed.name), &seed.bytes).unwrap();
    }
}
