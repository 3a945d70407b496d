#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod codec;
pub mod error;
pub mod flags;
pub mod ntlm;
pub mod rand;
pub mod time;

pub use error::{Error, ErrorKind, Result, Status};
pub use flags::NegotiateFlags;
pub use rand::Random;
#[cfg(feature = "std")]
pub use rand::OsRandom;
pub use time::FileTime;
