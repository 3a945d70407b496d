//! The package-agnostic SSPI layer: one interface over NTLM and Negotiate.
//!
//! | Windows SSPI | sspi-proto |
//! |---|---|
//! | `EnumerateSecurityPackages` | [`packages()`] |
//! | `QuerySecurityPackageInfo` | [`Package::from_name`], [`Package::info`] |
//! | `AcquireCredentialsHandle` | [`CredentialsHandle::acquire`] |
//! | `InitializeSecurityContext` | [`ClientContext::step`] / [`ClientContext::step_buffers`] |
//! | `AcceptSecurityContext` | [`ServerContext::step`] / [`ServerContext::step_buffers`], then [`ServerContext::provide_credentials`] |
//! | `ISC_REQ_*` / `ISC_RET_*` | [`ClientRequest`] / [`ClientAttributes`] |
//! | `ASC_REQ_*` / `ASC_RET_*` | [`ServerRequest`] / [`ServerAttributes`] |
//! | `SEC_I_CONTINUE_NEEDED`, `SEC_E_OK` | [`Step::status`] → [`Status`](crate::Status) |
//! | `QueryContextAttributes(SECPKG_ATTR_SIZES)` | [`ClientContext::sizes`] |
//! | `QueryContextAttributes(SECPKG_ATTR_NAMES)` | [`ClientContext::names`] |
//! | `QueryContextAttributes(SECPKG_ATTR_SESSION_KEY)` | [`ClientContext::session_key`] |
//! | `QueryContextAttributes(SECPKG_ATTR_FLAGS)` | [`ClientContext::attributes`] |
//! | `QueryContextAttributes(SECPKG_ATTR_LIFESPAN)` | [`ClientContext::lifespan`] |
//! | `QueryContextAttributes(SECPKG_ATTR_PACKAGE_INFO)` | [`ClientContext::package_info`] |
//! | `MakeSignature` / `VerifySignature` | [`ClientContext::make_signature`] / [`ClientContext::verify_signature`] |
//! | `EncryptMessage` / `DecryptMessage` | [`ClientContext::encrypt`] / [`ClientContext::decrypt`] |
//! | `SecBuffer`, `SECBUFFER_*` | [`SecBuffer`], [`BufferType`], [`BufferFlags`] |
//! | `SECBUFFER_CHANNEL_BINDINGS` | a [`BufferType::ChannelBindings`] input buffer |
//! | `ExportSecurityContext` | [`ClientContext::export`] (established) / [`ServerContext::export`] (established, or waiting for AUTHENTICATE) → [`ExportedContext`] |
//! | `ImportSecurityContext` | [`ClientContext::import`]`(package, bytes)` / [`ServerContext::import`]`(package, creds, options, bytes)` |
//! | `DeleteSecurityContext` | [`ClientContext::delete`] (and `Drop`) |
//! | `FreeCredentialsHandle` | [`CredentialsHandle::free`] (and `Drop`) |
//!
//! [`ServerContext`] has the same queries and message calls as [`ClientContext`].
//!
//! # Ending a session
//!
//! [`ClientContext::delete`] / [`ServerContext::delete`] (DeleteSecurityContext) and
//! [`CredentialsHandle::free`] (FreeCredentialsHandle) wipe every key, RC4 state and password
//! at once; dropping the values does the same. When a connection closes:
//!
//! - **client**: delete (or drop) the context; keep the `CredentialsHandle` only if more
//!   connections will authenticate with it, otherwise free it.
//! - **server**: delete (or drop) the connection's context — NTLM authenticates a connection,
//!   never a user across connections, so a context must not be reused for another one. A
//!   context abandoned mid-handshake (no AUTHENTICATE ever came) holds only the CHALLENGE and
//!   its server challenge; drop it on close or after a timeout of your choosing (pass a short
//!   `expires` to have every later call refuse with `ContextExpired`).
//! - **both**: after an error the context is dead (every call returns the error again); drop
//!   it rather than retrying on it.
//!
//! Exported contexts are secret (they hold the session keys) and neither encrypted nor
//! authenticated by this crate; the format and its rules are in [`crate::ntlm::export`].
//! A server exported after its CHALLENGE can be imported by another process to take the
//! client's AUTHENTICATE (scale-out): the importer supplies the [`ServerOptions`], since
//! policy is configuration, not state.

mod context;
mod flags;
mod package;

pub use crate::buffer::{BufferData, BufferFlags, BufferType, SecBuffer};
pub use crate::ntlm::crypto::{ChannelBindings, NtHash, SessionKey, Signature};
pub use crate::ntlm::export::ExportedContext;
pub use crate::ntlm::server::{
    CredentialAnswer, PassThroughRequest, Policy, ServerConfig, ServerStep,
};
pub use context::{
    ClientContext, ClientOptions, CredentialUse, CredentialsHandle, Lifespan, ServerContext,
    ServerOptions, Sizes, Step,
};
pub use flags::{ClientAttributes, ClientRequest, ServerAttributes, ServerRequest};
pub use package::{Package, PackageCapabilities, PackageInfo, packages};
