"""Shared plumbing for the interop drivers: the line protocol of shared/interop-protocol.md.

Each driver (pyspnego_peer.py, gssapi_peer.py) supplies a *backend* with a handful of
methods; this module parses the same command line as examples/peer.rs, runs the handshake
loop for the client or server role, and answers the post-handshake requests.

stdout carries only protocol lines (each flushed); diagnostics go to stderr. Exit status: 0
on QUIT or EOF, 1 after printing ERR. Plain Python 3 (no third-party imports), so that both
the pyenv Python (pyspnego) and Debian's /usr/bin/python3 (python3-gssapi) can import it.
"""

import argparse
import base64
import binascii
import sys
import traceback


class PeerError(Exception):
    """A failure that becomes an `ERR <reason>` line."""


class Unsupported(PeerError):
    """The peer implementation cannot do what was asked: `ERR unsupported: ...`."""

    def __init__(self, what):
        super().__init__("unsupported: %s" % what)


def log(msg):
    sys.stderr.write("%s\n" % msg)
    sys.stderr.flush()


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def b64e(data):
    return base64.b64encode(data).decode("ascii")


def b64d(text):
    try:
        return base64.b64decode(text.strip().encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as e:
        raise PeerError("bad base64: %s" % e)


def unhex(text):
    try:
        return bytes.fromhex(text)
    except ValueError as e:
        raise PeerError("bad hex: %s" % e)


def parse_args(argv):
    """The command line of examples/peer.rs: `client|server [options]`."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("role", choices=["client", "server"])
    # client
    p.add_argument("--user")
    p.add_argument("--domain", default="")
    p.add_argument("--password")
    p.add_argument("--nt-hash")
    p.add_argument("--anonymous", action="store_true")
    p.add_argument("--target")
    p.add_argument("--workstation")
    # both
    p.add_argument("--channel-binding-hex")
    p.add_argument("--flags")
    p.add_argument("--protocol", default="ntlm", choices=["ntlm", "negotiate", "auto"])
    # server
    p.add_argument("--users-file")
    p.add_argument("--cb-policy", default="accept", choices=["ignore", "accept", "require"])
    p.add_argument("--spn-policy", default="accept", choices=["ignore", "accept", "require"])
    p.add_argument("--allow-anonymous", action="store_true")
    p.add_argument("--allow-ntlmv1", action="store_true")
    # gssapi_peer.py only: ask gss-ntlmssp for an AUTHENTICATE MIC in raw NTLM mode (see there)
    p.add_argument("--gss-request-mic", action="store_true")

    def error(message):
        raise PeerError("usage: %s" % message)

    p.error = error  # type: ignore[method-assign]
    args = p.parse_args(argv)
    if args.role == "client" and args.protocol == "auto":
        raise PeerError("--protocol auto is for the server role")
    if args.flags is None:
        args.flags = "sign,seal" if args.role == "client" else "none"
    if args.flags not in ("sign,seal", "seal,sign", "seal", "sign", "none"):
        raise PeerError("unknown --flags %s" % args.flags)
    args.cb = unhex(args.channel_binding_hex) if args.channel_binding_hex is not None else None
    return args


class Lines:
    def __init__(self, stream):
        self.stream = stream

    def read(self):
        line = self.stream.readline()
        if not line:
            return None
        return line.rstrip("\r\n")

    def token(self):
        line = self.read()
        if line is None:
            raise PeerError("EOF during handshake")
        return b64d(line)


def read_users(path):
    """`DOMAIN:USER:PASSWORD` lines (the format that pyspnego and gss-ntlmssp read as well)."""
    users = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                parts = line.split(":", 2)
                if len(parts) != 3:
                    raise PeerError("%s: expected DOMAIN:USER:PASSWORD" % path)
                users.append(tuple(parts))
    except OSError as e:
        raise PeerError("%s: %s" % (path, e))
    return users


def run_client(backend, lines):
    """Backend contract: `start() -> bytes`, `step(token) -> (out: bytes|None, complete: bool)`."""
    first = backend.start()
    say(b64e(first))
    while True:
        token = lines.token()
        out, complete = backend.step(token)
        if complete:
            say("DONE %s" % b64e(out) if out else "DONE")
            return
        if not out:
            raise PeerError("not complete but no token to send")
        say(b64e(out))


def run_server(backend, lines):
    """Backend contract: `step(token) -> (out, complete)`, `identity() -> (user, domain)`."""
    while True:
        token = lines.token()
        out, complete = backend.step(token)
        if complete:
            user, domain = backend.identity()
            dash = lambda s: s if s else "-"  # noqa: E731
            line = "DONE %s %s" % (dash(user), dash(domain))
            if out:
                line += " " + b64e(out)
            say(line)
            return
        if not out:
            raise PeerError("not complete but no token to send")
        say(b64e(out))


def serve_requests(backend, lines):
    """Post-handshake requests. Backend: seal, unseal, sign, verify, session_key, flags."""
    dead = False
    while True:
        line = lines.read()
        if line is None or line == "QUIT":
            return
        if dead:
            say("ERR session failed earlier")
            continue
        words = line.split(" ")
        verb, rest = words[0], words[1:]
        try:
            if verb == "SEAL" and len(rest) == 1:
                reply = b64e(backend.seal(b64d(rest[0])))
            elif verb == "UNSEAL" and len(rest) == 1:
                reply = b64e(backend.unseal(b64d(rest[0])))
            elif verb == "SIGN" and len(rest) == 1:
                reply = b64e(backend.sign(b64d(rest[0])))
            elif verb == "VERIFY" and len(rest) == 2:
                backend.verify(b64d(rest[0]), b64d(rest[1]))
                reply = "OK"
            elif verb == "SESSIONKEY" and not rest:
                reply = backend.session_key().hex()
            elif verb == "FLAGS" and not rest:
                reply = "%08x" % backend.flags()
            else:
                raise PeerError("unknown request %s" % line[:40])
        except Unsupported as e:
            # A capability the implementation lacks (e.g. FLAGS on gss-ntlmssp): not a
            # session failure, so the session stays usable.
            log("peer: %s" % e)
            say("ERR %s" % e)
            continue
        except Exception as e:  # noqa: BLE001 - every failure is an ERR line
            reason = describe(e)
            log("peer: %s failed: %s" % (verb, reason))
            say("ERR %s" % reason)
            # interop-protocol.md: after a failed UNSEAL/VERIFY the session is dead. Like
            # examples/peer.rs, any failed request ends the session.
            dead = True
            continue
        say(reply)


def describe(e):
    if isinstance(e, PeerError):
        return str(e)
    text = ("%s: %s" % (type(e).__name__, e)).replace("\n", " ")
    return text[:300]


def main(make_backend, argv=None):
    """`make_backend(args)` returns the backend for the role; it may raise PeerError."""
    argv = sys.argv[1:] if argv is None else argv
    lines = Lines(sys.stdin)
    try:
        args = parse_args(argv)
        backend = make_backend(args)
        if args.role == "client":
            run_client(backend, lines)
        else:
            run_server(backend, lines)
        serve_requests(backend, lines)
    except Exception as e:  # noqa: BLE001
        if not isinstance(e, PeerError):
            traceback.print_exc(file=sys.stderr)
        reason = describe(e)
        log("peer: %s" % reason)
        say("ERR %s" % reason)
        return 1
    return 0
