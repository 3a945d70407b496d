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
//! | `DeleteSecurityContext` | [`ClientContext::delete`] (and `Drop`) |
//! | `FreeCredentialsHandle` | [`CredentialsHandle::free`] (and `Drop`) |
//!
//! [`ServerContext`] has the same queries and message calls as [`ClientContext`].

mod context;
mod flags;
mod package;

pub use crate::buffer::{BufferFlags, BufferType, SecBuffer};
pub use context::{
    ClientContext, ClientOptions, CredentialUse, CredentialsHandle, Lifespan, ServerContext,
    ServerOptions, Sizes, Step,
};
pub use flags::{ClientAttributes, ClientRequest, ServerAttributes, ServerRequest};
pub use package::{Package, PackageCapabilities, PackageInfo, packages};
