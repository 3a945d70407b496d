#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod buffer;
pub mod codec;
pub mod creds;
pub mod error;
pub mod flags;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;
pub mod ntlm;
pub mod rand;
pub mod spnego;
pub mod sspi;
pub mod time;

pub use creds::{Credentials, Identity};
pub use error::{Error, ErrorKind, Result, Status};
pub use flags::NegotiateFlags;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use rand::OsRandom;
pub use rand::Random;
pub use time::FileTime;
