#!/usr/bin/env python3
"""pyspnego behind the interop line protocol (shared/interop-protocol.md).

Forces pyspnego's own pure-Python NTLM (`spnego._ntlm.NTLMProxy`) and, for
`--protocol negotiate`, its pure-Python SPNEGO (`spnego._negotiate.NegotiateProxy`) over that
NTLM: never SSPI, never a system GSSAPI. The driver checks this after the handshake and
refuses to continue (ERR) if anything else was picked.

    python3 interop/pyspnego_peer.py client --user alice --domain CORP --password pw
    python3 interop/pyspnego_peer.py server --users-file users.txt

Server role: pyspnego's NTLM acceptor reads its user database from the file named by the
environment variable NTLM_USER_FILE (`DOMAIN:USER:PASSWORD` lines, the same format as
--users-file), so the driver points NTLM_USER_FILE at --users-file.

Policies pyspnego cannot express are mapped to the nearest stricter behaviour or refused:
  --cb-policy accept|require  both pass the bindings to pyspnego, which then requires them
                              (a zero MsvAvChannelBindings is still accepted, as pyspnego does)
  --cb-policy ignore          the bindings are not given to pyspnego
  --spn-policy require        ERR unsupported (pyspnego's acceptor does not check the SPN)
  --allow-anonymous           ERR unsupported (pyspnego has no anonymous NTLM)
  without --allow-ntlmv1      the server runs with LM_COMPAT_LEVEL=5 (NTLMv2 only); with it,
                              pyspnego's default level 3
  --flags (server)            accepted, not enforced (pyspnego has no required-flags policy)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import peerlib  # noqa: E402
from peerlib import PeerError, Unsupported  # noqa: E402

try:
    import spnego
    import spnego._negotiate
    import spnego._ntlm
    from spnego.channel_bindings import GssChannelBindings
except ImportError as e:  # pragma: no cover - reported as a protocol line
    peerlib.say("ERR unsupported: pyspnego is not installed for %s (%s)" % (sys.executable, e))
    sys.exit(1)


def context_req(flags):
    req = spnego.ContextReq
    if flags in ("sign,seal", "seal,sign", "seal"):
        return req.integrity | req.confidentiality | req.replay_detect | req.sequence_detect
    if flags == "sign":
        return req.integrity | req.replay_detect | req.sequence_detect
    return req.none


def options_for(protocol):
    opts = spnego.NegotiateOptions
    if protocol == "ntlm":
        return "ntlm", opts.use_ntlm
    # use_negotiate selects the Python SPNEGO wrapper; it strips that bit for its inner
    # contexts, leaving use_ntlm, which selects the Python NTLM provider.
    return "negotiate", opts.use_negotiate | opts.use_ntlm


class Backend:
    def __init__(self, ctx, protocol):
        self.ctx = ctx
        self.protocol = protocol

    # --- handshake -----------------------------------------------------------------------
    def start(self):
        return self.ctx.step()

    def step(self, token):
        out = self.ctx.step(token)
        complete = self.ctx.complete
        if complete:
            self._check_pure_python()
        return out, complete

    def identity(self):
        principal = self.ctx.client_principal or ""
        if "\\" in principal:
            domain, user = principal.split("\\", 1)
        else:
            domain, user = "", principal
        return user, domain

    def _ntlm(self):
        """The pyspnego NTLMProxy doing the work (inside the SPNEGO wrapper for negotiate)."""
        ctx = self.ctx
        if isinstance(ctx, spnego._negotiate.NegotiateProxy):
            ctx = ctx._context
        return ctx

    def _check_pure_python(self):
        outer_ok = isinstance(
            self.ctx,
            spnego._ntlm.NTLMProxy if self.protocol == "ntlm" else spnego._negotiate.NegotiateProxy,
        )
        if not outer_ok or not isinstance(self._ntlm(), spnego._ntlm.NTLMProxy):
            raise PeerError(
                "pyspnego picked %s/%s, not its pure-Python NTLM"
                % (type(self.ctx).__name__, type(self._ntlm()).__name__)
            )

    # --- after completion ----------------------------------------------------------------
    def seal(self, data):
        res = self.ctx.wrap(data, encrypt=True)
        if not res.encrypted:
            raise PeerError("wrap did not encrypt")
        return res.data

    def unseal(self, token):
        return self.ctx.unwrap(token).data

    def sign(self, data):
        return self.ctx.sign(data)

    def verify(self, data, sig):
        self.ctx.verify(data, sig)

    def session_key(self):
        return self.ctx.session_key

    def flags(self):
        # NTLMProxy keeps the negotiated NTLM flags (those of the AUTHENTICATE message) here.
        return int(self._ntlm()._context_attr)


def make_backend(args):
    protocol, options = options_for(args.protocol if args.protocol != "auto" else "negotiate")
    req = context_req(args.flags)
    if args.role == "client":
        if args.anonymous:
            raise Unsupported("--anonymous (pyspnego has no anonymous NTLM)")
        if not args.user:
            raise PeerError("--user required")
        username = "%s\\%s" % (args.domain, args.user) if args.domain else args.user
        if args.nt_hash:
            cred = spnego.NTLMHash(username=username, nt_hash=args.nt_hash)
        elif args.password is not None:
            cred = spnego.Password(username=username, password=args.password)
        else:
            raise PeerError("--password required")
        if args.workstation:
            os.environ["NETBIOS_COMPUTER_NAME"] = args.workstation
        service = hostname = None
        if args.target:
            service, _, hostname = args.target.partition("/")
            if not hostname:
                service, hostname = None, args.target
        cb = GssChannelBindings(application_data=args.cb) if args.cb is not None else None
        ctx = spnego.client(
            cred,
            hostname=hostname,
            service=service,
            channel_bindings=cb,
            context_req=req,
            protocol=protocol,
            options=options,
        )
        return Backend(ctx, protocol)

    if not args.users_file:
        raise PeerError("--users-file required")
    if args.allow_anonymous:
        raise Unsupported("--allow-anonymous (pyspnego's acceptor has no anonymous NTLM)")
    if args.spn_policy == "require" and args.target:
        raise Unsupported("--spn-policy require (pyspnego's acceptor does not check the SPN)")
    peerlib.read_users(args.users_file)  # same validation as examples/peer.rs
    os.environ["NTLM_USER_FILE"] = os.path.abspath(args.users_file)
    if not args.allow_ntlmv1:
        os.environ["LM_COMPAT_LEVEL"] = "5"
    cb = None
    if args.cb is not None and args.cb_policy != "ignore":
        cb = GssChannelBindings(application_data=args.cb)
    ctx = spnego.server(channel_bindings=cb, context_req=req, protocol=protocol, options=options)
    return Backend(ctx, protocol)


if __name__ == "__main__":
    sys.exit(peerlib.main(make_backend))
