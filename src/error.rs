//! Errors and their Windows `SECURITY_STATUS` codes.

use core::fmt;

/// What went wrong, as a category that maps one to one onto a Windows `SECURITY_STATUS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A token or message could not be decoded (`SEC_E_INVALID_TOKEN`).
    InvalidToken,
    /// Authentication failed: unknown user, wrong password, refused by policy (`SEC_E_LOGON_DENIED`).
    LogonDenied,
    /// A signature or checksum did not match (`SEC_E_MESSAGE_ALTERED`).
    MessageAltered,
    /// A message or call arrived out of sequence (`SEC_E_OUT_OF_SEQUENCE`).
    OutOfSequence,
    /// No credentials are available (`SEC_E_NO_CREDENTIALS`).
    NoCredentials,
    /// The credentials supplied are not recognised (`SEC_E_UNKNOWN_CREDENTIALS`).
    UnknownCredentials,
    /// Channel bindings are missing or do not match (`SEC_E_BAD_BINDINGS`).
    BadBindings,
    /// An output buffer is too small (`SEC_E_BUFFER_TOO_SMALL`).
    BufferTooSmall,
    /// More input is needed (`SEC_E_INCOMPLETE_MESSAGE`).
    IncompleteMessage,
    /// The context has expired or was deleted (`SEC_E_CONTEXT_EXPIRED`).
    ContextExpired,
    /// The package does not support this function (`SEC_E_UNSUPPORTED_FUNCTION`).
    UnsupportedFunction,
    /// An internal invariant did not hold (`SEC_E_INTERNAL_ERROR`).
    InternalError,
    /// The requested quality of protection is not supported (`SEC_E_QOP_NOT_SUPPORTED`).
    QopNotSupported,
    /// The target principal name is wrong (`SEC_E_WRONG_PRINCIPAL`).
    WrongPrincipal,
    /// The peer removed security features that were required (`SEC_E_DOWNGRADE_DETECTED`).
    DowngradeDetected,
    /// A timestamp is outside the allowed clock skew (`SEC_E_TIME_SKEW`).
    TimeSkew,
    /// The named security package does not exist (`SEC_E_SECPKG_NOT_FOUND`).
    SecPkgNotFound,
    /// A handle or context is not valid for this call (`SEC_E_INVALID_HANDLE`).
    InvalidHandle,
}

impl ErrorKind {
    /// The Windows `SECURITY_STATUS` value for this kind.
    pub const fn status(self) -> u32 {
        match self {
            Self::InvalidToken => 0x8009_0308,
            Self::LogonDenied => 0x8009_030C,
            Self::MessageAltered => 0x8009_030F,
            Self::OutOfSequence => 0x8009_0310,
            Self::NoCredentials => 0x8009_030E,
            Self::UnknownCredentials => 0x8009_030D,
            Self::BadBindings => 0x8009_0346,
            Self::BufferTooSmall => 0x8009_0321,
            Self::IncompleteMessage => 0x8009_0318,
            Self::ContextExpired => 0x8009_0317,
            Self::UnsupportedFunction => 0x8009_0302,
            Self::InternalError => 0x8009_0304,
            Self::QopNotSupported => 0x8009_030A,
            Self::WrongPrincipal => 0x8009_0322,
            Self::DowngradeDetected => 0x8009_0350,
            Self::TimeSkew => 0x8009_0324,
            Self::SecPkgNotFound => 0x8009_0305,
            Self::InvalidHandle => 0x8009_0301,
        }
    }

    /// Every kind, for [`from_status`](Self::from_status): a new kind goes here too.
    const ALL: [Self; 18] = [
        Self::InvalidToken,
        Self::LogonDenied,
        Self::MessageAltered,
        Self::OutOfSequence,
        Self::NoCredentials,
        Self::UnknownCredentials,
        Self::BadBindings,
        Self::BufferTooSmall,
        Self::IncompleteMessage,
        Self::ContextExpired,
        Self::UnsupportedFunction,
        Self::InternalError,
        Self::QopNotSupported,
        Self::WrongPrincipal,
        Self::DowngradeDetected,
        Self::TimeSkew,
        Self::SecPkgNotFound,
        Self::InvalidHandle,
    ];

    /// The kind whose [`status`](Self::status) is `code`, if any (e.g. to restore an error
    /// recorded as its `SECURITY_STATUS`, as context exports do).
    pub fn from_status(code: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.status() == code)
    }

    /// The Windows name of the status, e.g. `SEC_E_INVALID_TOKEN`.
    pub const fn status_name(self) -> &'static str {
        match self {
            Self::InvalidToken => "SEC_E_INVALID_TOKEN",
            Self::LogonDenied => "SEC_E_LOGON_DENIED",
            Self::MessageAltered => "SEC_E_MESSAGE_ALTERED",
            Self::OutOfSequence => "SEC_E_OUT_OF_SEQUENCE",
            Self::NoCredentials => "SEC_E_NO_CREDENTIALS",
            Self::UnknownCredentials => "SEC_E_UNKNOWN_CREDENTIALS",
            Self::BadBindings => "SEC_E_BAD_BINDINGS",
            Self::BufferTooSmall => "SEC_E_BUFFER_TOO_SMALL",
            Self::IncompleteMessage => "SEC_E_INCOMPLETE_MESSAGE",
            Self::ContextExpired => "SEC_E_CONTEXT_EXPIRED",
            Self::UnsupportedFunction => "SEC_E_UNSUPPORTED_FUNCTION",
            Self::InternalError => "SEC_E_INTERNAL_ERROR",
            Self::QopNotSupported => "SEC_E_QOP_NOT_SUPPORTED",
            Self::WrongPrincipal => "SEC_E_WRONG_PRINCIPAL",
            Self::DowngradeDetected => "SEC_E_DOWNGRADE_DETECTED",
            Self::TimeSkew => "SEC_E_TIME_SKEW",
            Self::SecPkgNotFound => "SEC_E_SECPKG_NOT_FOUND",
            Self::InvalidHandle => "SEC_E_INVALID_HANDLE",
        }
    }
}

/// An error: a kind plus a human detail naming the field or check at fault.
///
/// `Display` reads like `InvalidToken: AUTHENTICATE NtChallengeResponse offset past end of message`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    kind: ErrorKind,
    detail: &'static str,
}

impl Error {
    /// Creates an error of `kind` with a static `detail`.
    pub const fn new(kind: ErrorKind, detail: &'static str) -> Self {
        Self { kind, detail }
    }

    /// Shorthand for an [`ErrorKind::InvalidToken`] error.
    pub const fn invalid_token(detail: &'static str) -> Self {
        Self::new(ErrorKind::InvalidToken, detail)
    }

    /// The category of the error.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human detail: which field or check failed.
    pub const fn detail(&self) -> &'static str {
        self.detail
    }

    /// The Windows `SECURITY_STATUS` code for this error.
    pub const fn status(&self) -> u32 {
        self.kind.status()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.detail)
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl std::error::Error for Error {}

/// `Result` with this crate's [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

/// Successful `SECURITY_STATUS` values, as returned by the token loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// `SEC_E_OK`: the context is complete.
    Ok,
    /// `SEC_I_CONTINUE_NEEDED`: send the output token and call again with the reply.
    ContinueNeeded,
    /// `SEC_I_COMPLETE_NEEDED`: the context is complete once `CompleteAuthToken` runs.
    CompleteNeeded,
    /// `SEC_I_COMPLETE_AND_CONTINUE`: both of the above.
    CompleteAndContinue,
}

impl Status {
    /// The Windows `SECURITY_STATUS` code.
    pub const fn code(self) -> u32 {
        match self {
            Self::Ok => 0,
            Self::ContinueNeeded => 0x0009_0312,
            Self::CompleteNeeded => 0x0009_0313,
            Self::CompleteAndContinue => 0x0009_0314,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_match_windows() {
        assert_eq!(ErrorKind::InvalidToken.status(), 0x80090308);
        assert_eq!(ErrorKind::LogonDenied.status(), 0x8009030C);
        assert_eq!(ErrorKind::MessageAltered.status(), 0x8009030F);
        assert_eq!(ErrorKind::OutOfSequence.status(), 0x80090310);
        assert_eq!(ErrorKind::NoCredentials.status(), 0x8009030E);
        assert_eq!(ErrorKind::UnknownCredentials.status(), 0x8009030D);
        assert_eq!(ErrorKind::BadBindings.status(), 0x80090346);
        assert_eq!(ErrorKind::BufferTooSmall.status(), 0x80090321);
        assert_eq!(ErrorKind::IncompleteMessage.status(), 0x80090318);
        assert_eq!(ErrorKind::ContextExpired.status(), 0x80090317);
        assert_eq!(ErrorKind::UnsupportedFunction.status(), 0x80090302);
        assert_eq!(ErrorKind::InternalError.status(), 0x80090304);
        assert_eq!(ErrorKind::QopNotSupported.status(), 0x8009030A);
        assert_eq!(ErrorKind::WrongPrincipal.status(), 0x80090322);
        assert_eq!(ErrorKind::DowngradeDetected.status(), 0x80090350);
        assert_eq!(ErrorKind::TimeSkew.status(), 0x80090324);
        assert_eq!(ErrorKind::SecPkgNotFound.status(), 0x80090305);
        assert_eq!(ErrorKind::InvalidHandle.status(), 0x80090301);
        assert_eq!(Status::Ok.code(), 0);
        assert_eq!(Status::ContinueNeeded.code(), 0x00090312);
        assert_eq!(Status::CompleteNeeded.code(), 0x00090313);
        assert_eq!(Status::CompleteAndContinue.code(), 0x00090314);
    }

    #[test]
    fn from_status_inverts_status() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_status(kind.status()), Some(kind));
        }
        assert_eq!(ErrorKind::from_status(0), None);
    }

    #[test]
    fn display_names_kind_and_field() {
        let e = Error::invalid_token("AUTHENTICATE NtChallengeResponse offset past end of message");
        assert_eq!(
            e.to_string(),
            "InvalidToken: AUTHENTICATE NtChallengeResponse offset past end of message"
        );
    }
}
