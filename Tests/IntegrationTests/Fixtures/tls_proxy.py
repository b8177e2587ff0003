"""A real TLS client (Python's ssl module) for the TLS tests, as a one-connection proxy.

Listens on a free loopback port and prints "PORT n". When the test connects in plaintext,
it opens a TLS connection to the server (no verification: test certificates are
self-signed), optionally presenting a client certificate, prints
"TLS <version> <cipher> <sha256 of the server certificate>" (or "FAILED <reason>"), then
relays bytes both ways. Either side closing closes the other, and the proxy exits.
"""
import argparse
import hashlib
import select
import socket
import ssl
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--server-port", type=int, required=True)
parser.add_argument("--cert")
parser.add_argument("--key")
parser.add_argument("--max-version", choices=["1.2", "1.3"])
args = parser.parse_args()

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen(1)
print("PORT", listener.getsockname()[1], flush=True)
plain, _ = listener.accept()
listener.close()

context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
if args.cert:
    context.load_cert_chain(args.cert, args.key)
if args.max_version == "1.2":
    context.maximum_version = ssl.TLSVersion.TLSv1_2
raw = socket.create_connection(("127.0.0.1", args.server_port))
try:
    secure = context.wrap_socket(raw)
except (ssl.SSLError, OSError) as error:
    print("FAILED", error, flush=True)
    plain.close()
    sys.exit(0)
fingerprint = hashlib.sha256(secure.getpeercert(binary_form=True)).hexdigest()
print("TLS", secure.version(), secure.cipher()[0], fingerprint, flush=True)


def send_all(target, data):
    while data:
        try:
            data = data[target.send(data):]
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
            select.select([], [target], [])


# Non-blocking both ways: a blocking TLS read that meets a record with no application data
# (TLS 1.3's session tickets) would wait for the next record and stop the relay.
secure.setblocking(False)
plain.setblocking(False)
open_sides = {plain: secure, secure: plain}
while open_sides:
    # Decrypted bytes already inside the ssl object do not make the socket readable.
    ready = [secure] if secure.pending() else select.select(list(open_sides), [], [])[0]
    for source in ready:
        try:
            data = source.recv(65536)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            continue
        except OSError:
            data = b""
        target = open_sides.get(source)
        if target is None:
            continue
        if data:
            send_all(target, data)
        else:
            open_sides.clear()
for side in (plain, secure):
    try:
        side.close()
    except OSError:
        pass
