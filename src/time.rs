//! Time as Windows `FILETIME`, always supplied by the caller.

/// 100-nanosecond intervals since 1601-01-01 UTC, as Windows `FILETIME` and MS-NLMP
/// `MsvAvTimestamp` count them.
///
/// The library never reads a clock: every call that needs the time takes a `FileTime`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct FileTime(pub u64);

/// 100 ns ticks between 1601-01-01 and 1970-01-01.
const UNIX_EPOCH_AS_FILETIME: u64 = 116_444_736_000_000_000;
/// 100 ns ticks per second.
const TICKS_PER_SECOND: u64 = 10_000_000;

impl FileTime {
    /// The `FILETIME` for a Unix time in seconds (saturating).
    pub const fn from_unix_seconds(secs: u64) -> Self {
        Self(secs.saturating_mul(TICKS_PER_SECOND).saturating_add(UNIX_EPOCH_AS_FILETIME))
    }

    /// Seconds since the Unix epoch (0 for earlier times).
    pub const fn unix_seconds(self) -> u64 {
        self.0.saturating_sub(UNIX_EPOCH_AS_FILETIME) / TICKS_PER_SECOND
    }

    /// A duration of `secs` seconds expressed in ticks (saturating).
    pub const fn seconds(secs: u64) -> u64 {
        secs.saturating_mul(TICKS_PER_SECOND)
    }

    /// The absolute distance between two times, in ticks.
    pub const fn abs_diff(self, other: Self) -> u64 {
        self.0.abs_diff(other.0)
    }

    /// The current time from the system clock. Only for applications: the library itself
    /// never calls this.
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn now() -> Self {
        let since_epoch =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let ticks = since_epoch
            .as_secs()
            .saturating_mul(TICKS_PER_SECOND)
            .saturating_add(u64::from(since_epoch.subsec_nanos() / 100));
        Self(ticks.saturating_add(UNIX_EPOCH_AS_FILETIME))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_epoch_round_trip() {
        assert_eq!(FileTime::from_unix_seconds(0).0, 116_444_736_000_000_000);
        // The captured Windows CHALLENGE's timestamp: 2012-12-19 17:10:36 UTC.
        assert_eq!(FileTime(0x01cd_de0b_c33f_e77b).unix_seconds(), 1_355_937_036);
        assert_eq!(FileTime::from_unix_seconds(1_355_937_036).unix_seconds(), 1_355_937_036);
    }
}
