//! The HTTP 401 loop driven through the public API, without a network.

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::ntlm::crypto::NtHash;
use crate::ntlm::server::{CredentialAnswer, ServerConfig};
use crate::spnego::server::{AcceptMode, NegotiateServer};
use crate::sspi::{ClientContext, ClientOptions, ServerOptions, Step};
use crate::{Credentials, ErrorKind, FileTime, Identity, Random};

const NOW: FileTime = FileTime(133_500_000_000_000_000);
const PASSWORD: &str = "Passw0rd!";

struct Seeded(u64);

impl Random for Seeded {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            *b = (self.0 >> 33) as u8;
        }
    }
}

fn client(password: &str) -> HttpAuthClient {
    HttpAuthClient::new(Credentials::password("CORP\\alice", password), ClientOptions::default())
}

fn server() -> HttpAuthServer {
    HttpAuthServer::new(ServerOptions::default()).unwrap()
}

fn offers() -> Vec<String> {
    HttpAuthServer::OFFERS.iter().map(|s| s.to_string()).collect()
}

/// Looks alice up, as an application's user store would.
fn answer(id: &Identity) -> CredentialAnswer {
    let known = id.user.eq_ignore_ascii_case("alice");
    CredentialAnswer::NtHashes(if known { vec![NtHash::from_password(PASSWORD)] } else { vec![] })
}

/// Runs the 401 loop: the server's error ends it with the 401 a server would send.
fn run(
    client: &mut HttpAuthClient,
    server: &mut HttpAuthServer,
    first_401: Vec<String>,
    rng: &mut Seeded,
) -> Result<(Identity, Completion), HttpError> {
    let mut www_authenticate = first_401;
    loop {
        let authorization = client.on_unauthorized(&www_authenticate, NOW, rng)?;
        let mut action = match server.step(&authorization, NOW, rng) {
            Ok(action) => action,
            Err(_) => {
                // 401 with the offers again: the client learns it was refused.
                client.on_unauthorized(offers(), NOW, rng)?;
                unreachable!("the client accepted a refusal");
            }
        };
        if let ServerAction::NeedCredentials(id) = &action {
            let answer = answer(id);
            action = match server.provide_credentials(answer, NOW) {
                Ok(action) => action,
                Err(e) => {
                    assert_eq!(
                        client.on_unauthorized(offers(), NOW, rng),
                        Err(HttpError::Rejected)
                    );
                    return Err(e);
                }
            };
        }
        match action {
            ServerAction::Challenge(value) => www_authenticate = vec![value],
            ServerAction::Authenticated { identity, www_authenticate } => {
                let completion = client.on_success(www_authenticate.as_deref(), NOW, rng)?;
                return Ok((identity, completion));
            }
            ServerAction::NeedCredentials(_) => unreachable!("asked twice"),
        }
    }
}

#[test]
fn negotiate_is_preferred_and_mutual() {
    let (mut c, mut s, mut rng) = (client(PASSWORD), server(), Seeded(1));
    let (id, completion) = run(&mut c, &mut s, offers(), &mut rng).unwrap();
    assert_eq!((id.domain.as_str(), id.user.as_str()), ("CORP", "alice"));
    assert_eq!(completion, Completion::Mutual);
    assert_eq!((c.scheme(), s.scheme()), (Some(Scheme::Negotiate), Some(Scheme::Negotiate)));
    assert_eq!(c.legs(), 2);
    assert!(s.is_authenticated());
    assert_eq!(s.identity().map(|i| i.user.as_str()), Some("alice"));
    // The contexts protect messages afterwards.
    let mut cctx = c.into_context().unwrap();
    let mut sctx = s.into_context();
    let sealed = cctx.wrap(b"body", NOW).unwrap();
    assert_eq!(sctx.unwrap(&sealed, NOW).unwrap(), b"body");
    // A later response on the same connection keeps the result.
}

#[test]
fn preference_not_header_order_picks_the_scheme() {
    let (mut c, mut s, mut rng) = (client(PASSWORD), server(), Seeded(2));
    let first = vec!["Basic realm=\"intranet, main\", NTLM".to_string(), "negotiate".to_string()];
    run(&mut c, &mut s, first, &mut rng).unwrap();
    assert_eq!(c.scheme(), Some(Scheme::Negotiate));
}

#[test]
fn ntlm_when_that_is_all_the_server_offers() {
    let (mut c, mut s, mut rng) = (client(PASSWORD), server(), Seeded(3));
    let (id, completion) = run(&mut c, &mut s, vec!["NTLM".into()], &mut rng).unwrap();
    assert_eq!(id.user, "alice");
    assert_eq!(completion, Completion::Unverified);
    assert_eq!(s.scheme(), Some(Scheme::Ntlm));
    assert!(c.context().unwrap().is_complete());
    // Later successes report the same.
    assert_eq!(c.on_success(None::<&str>, NOW, &mut rng), Ok(Completion::Unverified));
}

#[test]
fn client_restricted_to_ntlm() {
    let (mut c, mut s, mut rng) =
        (client(PASSWORD).with_schemes(&[Scheme::Ntlm]), server(), Seeded(4));
    run(&mut c, &mut s, offers(), &mut rng).unwrap();
    assert_eq!(c.scheme(), Some(Scheme::Ntlm));
    let mut c = client(PASSWORD).with_schemes(&[Scheme::Ntlm]);
    assert_eq!(c.on_unauthorized(["Negotiate"], NOW, &mut rng), Err(HttpError::UnsupportedScheme));
}

#[test]
fn wrong_password_is_rejected_on_both_sides() {
    for scheme in [Scheme::Negotiate, Scheme::Ntlm] {
        let (mut c, mut s, mut rng) = (client("wrong"), server(), Seeded(5));
        let first = vec![scheme.name().to_string()];
        let e = run(&mut c, &mut s, first, &mut rng).unwrap_err();
        assert!(matches!(e, HttpError::Sspi(e) if e.kind() == ErrorKind::LogonDenied), "{e:?}");
        // Both sides stay failed.
        assert!(s.step("NTLM TlRMTVNTUAAB", NOW, &mut rng).is_err());
        assert!(!s.is_authenticated());
        assert_eq!(s.identity(), None);
        assert_eq!(c.on_unauthorized(offers(), NOW, &mut rng), Err(HttpError::Rejected));
        assert_eq!(c.on_success(None::<&str>, NOW, &mut rng), Err(HttpError::Rejected));
    }
}

#[test]
fn no_usable_scheme() {
    let mut rng = Seeded(6);
    for value in ["Basic realm=\"x\"", "Kerberos", ""] {
        let mut c = client(PASSWORD);
        assert_eq!(c.on_unauthorized([value], NOW, &mut rng), Err(HttpError::UnsupportedScheme));
    }
    let mut c = client(PASSWORD);
    assert!(matches!(
        c.on_unauthorized(["Negotiate \"x\""], NOW, &mut rng),
        Err(HttpError::Malformed { .. })
    ));
}

#[test]
fn leg_limits() {
    let mut rng = Seeded(7);
    let mut c = client(PASSWORD).with_max_legs(1);
    c.on_unauthorized(["NTLM"], NOW, &mut rng).unwrap();
    assert_eq!(
        c.on_unauthorized(["NTLM TlRMTVNTUAAC"], NOW, &mut rng),
        Err(HttpError::TooManyLegs { limit: 1 })
    );
    let mut s = server().with_max_legs(1);
    let mut c = client(PASSWORD);
    let negotiate = c.on_unauthorized(["NTLM"], NOW, &mut rng).unwrap();
    assert!(matches!(s.step(&negotiate, NOW, &mut rng), Ok(ServerAction::Challenge(_))));
    assert_eq!(s.step(&negotiate, NOW, &mut rng), Err(HttpError::TooManyLegs { limit: 1 }));
}

#[test]
fn server_rejects_bad_authorization_values() {
    let mut rng = Seeded(8);
    let ntlm_negotiate = client(PASSWORD).on_unauthorized(["NTLM"], NOW, &mut rng).unwrap();
    let spnego_init = client(PASSWORD).on_unauthorized(["Negotiate"], NOW, &mut rng).unwrap();
    let spnego_as_ntlm = spnego_init.replacen("Negotiate", "NTLM", 1);
    type Case<'a> = (&'a str, fn(&HttpError) -> bool);
    let cases: &[Case<'_>] = &[
        ("Basic YWxpY2U6cHc=", |e| *e == HttpError::UnsupportedScheme),
        ("Negotiate", |e| matches!(e, HttpError::Protocol(_))),
        ("Negotiate realm=x", |e| matches!(e, HttpError::Protocol(_))),
        ("NTLM !!!", |e| matches!(e, HttpError::Malformed { .. })),
        ("NTLM T===", |e| *e == HttpError::InvalidBase64),
        ("NTLM a, Negotiate b", |e| matches!(e, HttpError::Malformed { .. })),
        (&spnego_as_ntlm, |e| matches!(e, HttpError::Protocol(_))),
        ("Negotiate TlRMTVNTUAAB", |e| matches!(e, HttpError::Sspi(_))),
    ];
    for (value, expected) in cases {
        let e = server().step(value, NOW, &mut rng).unwrap_err();
        assert!(expected(&e), "{value}: {e:?}");
    }
    // Switching scheme mid-handshake.
    let mut s = server();
    s.step(&ntlm_negotiate, NOW, &mut rng).unwrap();
    let switched = ntlm_negotiate.replacen("NTLM", "Negotiate", 1);
    assert!(matches!(s.step(&switched, NOW, &mut rng), Err(HttpError::Protocol(_))));
}

#[test]
fn raw_ntlm_in_negotiate_as_windows_falls_back() {
    let mut rng = Seeded(9);
    let creds = Credentials::password("CORP\\alice", PASSWORD);
    let handle = crate::sspi::CredentialsHandle::acquire(
        crate::sspi::Package::Ntlm,
        crate::sspi::CredentialUse::Outbound,
        Some(creds),
    )
    .unwrap();
    let mut ntlm =
        ClientContext::new(crate::sspi::Package::Ntlm, &handle, ClientOptions::default()).unwrap();
    let mut s = server();
    let Step::Continue(negotiate) = ntlm.step(None, NOW, &mut rng).unwrap() else { panic!() };
    let ServerAction::Challenge(value) =
        s.step(&header_value(Scheme::Negotiate, Some(&negotiate)), NOW, &mut rng).unwrap()
    else {
        panic!()
    };
    let challenge = parse_credentials(&value).unwrap();
    assert!(challenge.is("Negotiate"));
    let Step::Done(Some(authenticate)) =
        ntlm.step(Some(&challenge.token().unwrap().unwrap()), NOW, &mut rng).unwrap()
    else {
        panic!()
    };
    let ServerAction::NeedCredentials(id) =
        s.step(&header_value(Scheme::Negotiate, Some(&authenticate)), NOW, &mut rng).unwrap()
    else {
        panic!()
    };
    let done = s.provide_credentials(answer(&id), NOW).unwrap();
    assert!(matches!(done, ServerAction::Authenticated { www_authenticate: None, .. }));
}

#[test]
fn server_speaks_first_with_neg_token_init2() {
    let mut rng = Seeded(10);
    let init2 = NegotiateServer::new(ServerConfig::default(), AcceptMode::Auto).start().unwrap();
    let first = vec![header_value(Scheme::Negotiate, Some(&init2)), "NTLM".into()];
    let (mut c, mut s) = (client(PASSWORD), server());
    let (_, completion) = run(&mut c, &mut s, first, &mut rng).unwrap();
    assert_eq!(completion, Completion::Mutual);
}

#[test]
fn client_edge_cases() {
    let mut rng = Seeded(11);
    // The server never asked.
    let mut c = client(PASSWORD);
    assert_eq!(c.on_success(["Basic realm=x"], NOW, &mut rng), Ok(Completion::NotRequested));
    assert_eq!(c.scheme(), None);
    assert!(c.context().is_none());
    // Two tokens for the chosen scheme.
    let mut c = client(PASSWORD);
    assert!(matches!(
        c.on_unauthorized(["Negotiate YII=, Negotiate YII="], NOW, &mut rng),
        Err(HttpError::Protocol(_))
    ));
    // A Negotiate server that sends no final token: authenticated, not verified.
    let (mut c, mut s) = (client(PASSWORD), server());
    let mut www = offers();
    let completion = loop {
        let auth = c.on_unauthorized(&www, NOW, &mut rng).unwrap();
        match s.step(&auth, NOW, &mut rng).unwrap() {
            ServerAction::Challenge(v) => www = vec![v],
            ServerAction::NeedCredentials(id) => {
                let ServerAction::Authenticated { .. } =
                    s.provide_credentials(answer(&id), NOW).unwrap()
                else {
                    panic!()
                };
                break c.on_success(None::<&str>, NOW, &mut rng).unwrap();
            }
            ServerAction::Authenticated { .. } => panic!(),
        }
    };
    assert_eq!(completion, Completion::Unverified);
    assert!(!c.context().unwrap().is_complete());
    // A bare 401 after AUTHENTICATE.
    let mut c = client(PASSWORD);
    let mut s = server();
    let first = c.on_unauthorized(["NTLM"], NOW, &mut rng).unwrap();
    let ServerAction::Challenge(challenge) = s.step(&first, NOW, &mut rng).unwrap() else {
        panic!()
    };
    c.on_unauthorized([challenge.as_str()], NOW, &mut rng).unwrap();
    assert_eq!(c.on_unauthorized(["NTLM"], NOW, &mut rng), Err(HttpError::Rejected));
    assert!(format!("{}", HttpError::Rejected).contains("401"));
}
