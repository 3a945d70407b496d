#!/usr/bin/python3
"""gss-ntlmssp (through MIT GSSAPI) behind the interop line protocol.

Runs with Debian's system Python and its `python3-gssapi` package (.ci/install-peers installs
both `gss-ntlmssp` and `python3-gssapi`); the harness starts it as `/usr/bin/python3
interop/gssapi_peer.py ...`.

    --protocol ntlm       the NTLMSSP mechanism itself, OID 1.3.6.1.4.1.311.2.2.10
    --protocol negotiate  MIT's SPNEGO mechanism, OID 1.3.6.1.5.5.2, restricted to NTLMSSP with
                          gss_set_neg_mechs (so krb5 is never offered)
    --protocol auto       (server) NTLMSSP if the first token starts with "NTLMSSP\\0", else SPNEGO

Credentials: the client uses gss_acquire_cred_with_password for `DOMAIN\\user`; the server
points NTLM_USER_FILE (gss-ntlmssp's user database, `DOMAIN:USER:PASSWORD` lines) at
--users-file.

What gss-ntlmssp 1.2.0 cannot do, or does its own way:
  FLAGS                  ERR unsupported: gss-ntlmssp has no inquiry for the negotiated NTLM
                         flags (its OIDs under 1.3.6.1.4.1.7165.655.1 are: .1 set sequence
                         number, .2 SPNEGO require-MIC, .3 reset crypto; none returns flags)
  SESSIONKEY             gss_inquire_sec_context_by_oid(GSS_C_INQ_SSPI_SESSION_KEY
                         1.2.840.113554.1.2.2.5.5)
  --target               required by gss-ntlmssp (a GSS_C_NT_HOSTBASED_SERVICE name);
                         "HTTP/host" becomes "HTTP@host"; without it the driver uses "host@localhost"
  --cb-policy            gss-ntlmssp always requires matching bindings when the acceptor has
                         some: accept and require both pass them, ignore does not
  --nt-hash, --anonymous, --allow-anonymous, --spn-policy require: ERR unsupported
  without --allow-ntlmv1 the server runs with LM_COMPAT_LEVEL=5 (NTLMv2 only)
  --flags (server)       accepted, not enforced
  MIC                    in raw NTLM mode gss-ntlmssp puts no MIC in AUTHENTICATE unless the
                         caller has queried GSS_SPNEGO_REQUIRE_MIC (1.3.6.1.4.1.7165.655.1.2), as
                         MIT's SPNEGO does; --gss-request-mic (an extension of this driver) makes
                         the client do that query after its NEGOTIATE
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import peerlib  # noqa: E402
from peerlib import PeerError, Unsupported  # noqa: E402

try:
    import gssapi
    import gssapi.raw as graw
except ImportError as e:  # pragma: no cover - reported as a protocol line
    peerlib.say("ERR unsupported: python3-gssapi is not installed for %s (%s)" % (sys.executable, e))
    sys.exit(1)

NTLMSSP = gssapi.OID.from_int_seq("1.3.6.1.4.1.311.2.2.10")
SPNEGO = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
INQ_SSPI_SESSION_KEY = gssapi.OID.from_int_seq("1.2.840.113554.1.2.2.5.5")
# gss-ntlmssp's OID space 1.3.6.1.4.1.7165.655.1: .2 is GSS_SPNEGO_REQUIRE_MIC_OID.
SPNEGO_REQUIRE_MIC = gssapi.OID.from_int_seq("1.3.6.1.4.1.7165.655.1.2")
MECH_LIB = "/usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so"


def req_flags(flags):
    f = gssapi.RequirementFlag
    if flags in ("sign,seal", "seal,sign", "seal"):
        return [f.integrity, f.confidentiality, f.replay_detection, f.out_of_sequence_detection]
    if flags == "sign":
        return [f.integrity, f.replay_detection, f.out_of_sequence_detection]
    return [f.mutual_authentication]


def channel_bindings(data):
    return graw.ChannelBindings(application_data=data) if data is not None else None


def creds_for(mech, usage, name=None, password=None):
    if password is not None:
        creds = graw.acquire_cred_with_password(name, password, mechs=[mech], usage=usage).creds
    else:
        creds = graw.acquire_cred(name, mechs=[mech], usage=usage).creds
    if mech == SPNEGO:
        # Offer and accept NTLMSSP only: no krb5 (which would need a KDC).
        graw.set_neg_mechs(creds, [NTLMSSP])
    return creds


class Backend:
    def __init__(self):
        self.ctx = None

    # --- after completion ----------------------------------------------------------------
    def seal(self, data):
        res = graw.wrap(self.ctx, data, True)
        if not res.encrypted:
            raise PeerError("gss_wrap did not encrypt")
        return res.message

    def unseal(self, token):
        res = graw.unwrap(self.ctx, token)
        if not res.encrypted:
            raise PeerError("gss_unwrap: message was not encrypted")
        return res.message

    def sign(self, data):
        return graw.get_mic(self.ctx, data)

    def verify(self, data, sig):
        graw.verify_mic(self.ctx, data, sig)

    def session_key(self):
        values = graw.inquire_sec_context_by_oid(self.ctx, INQ_SSPI_SESSION_KEY)
        if not values:
            raise PeerError("no session key")
        return values[0]

    def flags(self):
        raise Unsupported("gss-ntlmssp exposes no inquiry for the negotiated NTLM flags")


class Client(Backend):
    def __init__(self, args):
        super().__init__()
        if args.anonymous:
            raise Unsupported("--anonymous")
        if args.nt_hash:
            raise Unsupported("--nt-hash")
        if not args.user:
            raise PeerError("--user required")
        if args.password is None:
            raise PeerError("--password required")
        if args.workstation:
            os.environ["NETBIOS_COMPUTER_NAME"] = args.workstation
        self.mech = NTLMSSP if args.protocol == "ntlm" else SPNEGO
        principal = "%s\\%s" % (args.domain, args.user) if args.domain else args.user
        name = graw.import_name(principal.encode("utf-8"), gssapi.NameType.user)
        self.creds = creds_for(self.mech, "initiate", name, args.password.encode("utf-8"))
        target = args.target or "host/localhost"
        service, _, host = target.partition("/")
        if not host:
            service, host = "host", target
        self.target = graw.import_name(("%s@%s" % (service, host)).encode("utf-8"), gssapi.NameType.hostbased_service)
        self.flags_req = req_flags(args.flags)
        self.cb = channel_bindings(args.cb)
        self.request_mic = args.gss_request_mic

    def _init(self, token):
        res = graw.init_sec_context(
            self.target,
            creds=self.creds,
            context=self.ctx,
            mech=self.mech,
            flags=self.flags_req,
            channel_bindings=self.cb,
            input_token=token,
        )
        self.ctx = res.context
        return res.token, not res.more_steps

    def start(self):
        token, complete = self._init(None)
        if complete or not token:
            raise PeerError("gss_init_sec_context finished without a server token")
        if self.request_mic:
            # What MIT's SPNEGO does: querying GSS_SPNEGO_REQUIRE_MIC tells gss-ntlmssp that the
            # caller can cope with a MIC, and only then does it put one in AUTHENTICATE.
            graw.inquire_sec_context_by_oid(self.ctx, SPNEGO_REQUIRE_MIC)
        return token

    def step(self, token):
        return self._init(token)


class Server(Backend):
    def __init__(self, args):
        super().__init__()
        if not args.users_file:
            raise PeerError("--users-file required")
        if args.allow_anonymous:
            raise Unsupported("--allow-anonymous")
        if args.spn_policy == "require" and args.target:
            raise Unsupported("--spn-policy require")
        peerlib.read_users(args.users_file)  # same validation as examples/peer.rs
        os.environ["NTLM_USER_FILE"] = os.path.abspath(args.users_file)
        if not args.allow_ntlmv1:
            os.environ["LM_COMPAT_LEVEL"] = "5"
        self.protocol = args.protocol
        self.cb = channel_bindings(args.cb) if args.cb_policy != "ignore" else None
        self.creds = None
        self.name = None

    def step(self, token):
        if self.creds is None:
            if self.protocol == "auto":
                mech = NTLMSSP if token.startswith(b"NTLMSSP\x00") else SPNEGO
            else:
                mech = NTLMSSP if self.protocol == "ntlm" else SPNEGO
            self.creds = creds_for(mech, "accept")
        res = graw.accept_sec_context(token, acceptor_creds=self.creds, context=self.ctx, channel_bindings=self.cb)
        self.ctx = res.context
        if not res.more_steps:
            self.name = res.initiator_name
        return res.token, not res.more_steps

    def identity(self):
        # gss-ntlmssp displays a user name as DOMAIN\user (1.2.0 includes the C string's NUL
        # terminator in the buffer; strip it).
        text = graw.display_name(self.name).name.decode("utf-8").rstrip("\x00")
        if "\\" in text:
            domain, user = text.split("\\", 1)
        elif "@" in text:
            user, domain = text.rsplit("@", 1)
        else:
            user, domain = text, ""
        return user, domain


def make_backend(args):
    if not os.path.exists(MECH_LIB):
        raise Unsupported("gss-ntlmssp is not installed (%s missing)" % MECH_LIB)
    return Client(args) if args.role == "client" else Server(args)


if __name__ == "__main__":
    sys.exit(peerlib.main(make_backend))
