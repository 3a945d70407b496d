//! Randomness, always supplied by the caller.

/// A source of cryptographically secure random bytes.
///
/// The library draws randomness only from the `Random` handed to a call: server challenges,
/// client challenges and exported session keys. Tests pass a seeded source; applications
/// pass [`OsRandom`] (feature `std`) or their own CSPRNG.
pub trait Random {
    /// Fills `dest` with random bytes.
    fn fill_bytes(&mut self, dest: &mut [u8]);
}

impl<R: Random + ?Sized> Random for &mut R {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        (**self).fill_bytes(dest);
    }
}

/// The operating system's CSPRNG (feature `std`). For applications; the library never
/// constructs one itself.
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRandom;

#[cfg(feature = "std")]
impl Random for OsRandom {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // An OS without a working CSPRNG cannot run a security protocol at all; there is
        // nothing safe to fall back to, so this is the one place a failure aborts.
        #[allow(clippy::panic)]
        if getrandom::fill(dest).is_err() {
            panic!("the operating system random source failed");
        }
    }
}
