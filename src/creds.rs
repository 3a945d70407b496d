//! Credentials: password, NT hash (pass-the-hash) or anonymous; zeroized on drop.

use alloc::string::{String, ToString};
use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::ntlm::crypto::NtHash;

/// Credentials shared by a credentials handle and the contexts made from it: an `Arc` where
/// the target has pointer-sized atomics, else a `Box` (cloning it copies the credentials,
/// which are wiped with each copy), so that targets without atomics still build.
#[cfg(target_has_atomic = "ptr")]
pub(crate) type SharedCredentials = alloc::sync::Arc<Credentials>;
/// See the `Arc` variant.
#[cfg(not(target_has_atomic = "ptr"))]
pub(crate) type SharedCredentials = alloc::boxed::Box<Credentials>;

/// Who a context authenticates as, or who the peer authenticated as.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Identity {
    /// The user name as it travels on the wire (a UPN such as `alice@example.com` stays whole).
    pub user: String,
    /// The domain name; empty for a UPN or a local account.
    pub domain: String,
    /// The client's workstation name, when the client sent one.
    pub workstation: String,
}

impl Identity {
    /// Whether this is the anonymous identity (empty user and domain).
    pub fn is_anonymous(&self) -> bool {
        self.user.is_empty() && self.domain.is_empty()
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_anonymous() {
            return f.write_str("Identity(anonymous)");
        }
        write!(f, "Identity({}\\{}", self.domain, self.user)?;
        if !self.workstation.is_empty() {
            write!(f, " from {}", self.workstation)?;
        }
        f.write_str(")")
    }
}

/// The secret half of a credential.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
enum Secret {
    Password(String),
    NtHash(NtHash),
}

/// Credentials for the client side of a handshake.
///
/// `Debug` never prints the password or hash, and both are wiped on drop.
#[derive(Clone)]
pub struct Credentials {
    inner: Option<(Identity, Secret)>,
}

impl Credentials {
    /// Password credentials. `user` may be `DOMAIN\user` (split into domain and user),
    /// `user@domain` (a UPN, sent whole with an empty domain, as Windows does), or a plain
    /// name (empty domain).
    pub fn password(user: &str, password: &str) -> Self {
        Self::with_secret(user, Secret::Password(password.to_string()))
    }

    /// Password credentials with the domain given separately.
    pub fn password_in_domain(domain: &str, user: &str, password: &str) -> Self {
        Self::with_parts(domain, user, Secret::Password(password.to_string()))
    }

    /// Pass-the-hash credentials: the NT hash (NTOWFv1) instead of the password.
    /// `user` is parsed as in [`Credentials::password`].
    pub fn nt_hash(user: &str, hash: NtHash) -> Self {
        Self::with_secret(user, Secret::NtHash(hash))
    }

    /// Pass-the-hash credentials with the domain given separately.
    pub fn nt_hash_in_domain(domain: &str, user: &str, hash: NtHash) -> Self {
        Self::with_parts(domain, user, Secret::NtHash(hash))
    }

    /// Anonymous credentials (MS-NLMP 3.1.5.1.2: empty user, no NT response, Z(1) LM
    /// response). Servers refuse anonymous logons by default.
    pub const fn anonymous() -> Self {
        Self { inner: None }
    }

    fn with_secret(user: &str, secret: Secret) -> Self {
        match user.split_once('\\') {
            Some((domain, user)) => Self::with_parts(domain, user, secret),
            None => Self::with_parts("", user, secret),
        }
    }

    fn with_parts(domain: &str, user: &str, secret: Secret) -> Self {
        let identity = Identity {
            user: user.to_string(),
            domain: domain.to_string(),
            workstation: String::new(),
        };
        Self { inner: Some((identity, secret)) }
    }

    /// Whether these are anonymous credentials.
    pub fn is_anonymous(&self) -> bool {
        self.inner.is_none()
    }

    /// The identity (user and domain) these credentials claim.
    pub fn identity(&self) -> Identity {
        self.inner.as_ref().map(|(id, _)| id.clone()).unwrap_or_default()
    }

    /// The NT hash, computed from the password if needed; `None` for anonymous.
    pub fn nt_hash_value(&self) -> Option<NtHash> {
        self.inner.as_ref().map(|(_, secret)| match secret {
            Secret::Password(p) => NtHash::from_password(p),
            Secret::NtHash(h) => h.clone(),
        })
    }

    /// The password, if these credentials hold one (needed only by legacy LM responses).
    pub fn password_value(&self) -> Option<&str> {
        match self.inner.as_ref() {
            Some((_, Secret::Password(p))) => Some(p),
            _ => None,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            None => f.write_str("Credentials(anonymous)"),
            Some((id, Secret::Password(_))) => {
                write!(f, "Credentials({id:?}, password: <redacted>)")
            }
            Some((id, Secret::NtHash(_))) => write!(f, "Credentials({id:?}, nt hash: <redacted>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_forms() {
        let c = Credentials::password("CORP\\alice", "pw");
        assert_eq!((c.identity().domain.as_str(), c.identity().user.as_str()), ("CORP", "alice"));
        let c = Credentials::password("alice@corp.example", "pw");
        assert_eq!(c.identity().user, "alice@corp.example");
        assert_eq!(c.identity().domain, "");
        let c = Credentials::password("alice", "pw");
        assert_eq!(c.identity().domain, "");
        assert!(Credentials::anonymous().identity().is_anonymous());
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = Credentials::password("CORP\\alice", "hunter2");
        let s = format!("{c:?}");
        assert!(s.contains("alice") && !s.contains("hunter2"), "{s}");
        let h = Credentials::nt_hash("bob", NtHash::from_password("hunter2"));
        assert!(format!("{h:?}").contains("<redacted>"));
        assert_eq!(
            c.nt_hash_value().unwrap(),
            NtHash::from_password("hunter2"),
            "password credentials hash to NTOWFv1"
        );
    }
}
