"""Certificates the TLS tests need and `parley cert` does not make (python3-cryptography).

  make_test_certificates.py expired DIR   -> DIR/expired.crt, DIR/expired.key (expired yesterday)
  make_test_certificates.py client DIR    -> DIR/client.crt, DIR/client.key; prints the SHA-256
"""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

kind, directory = sys.argv[1], sys.argv[2]
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "parley-test-" + kind)])
now = datetime.datetime.now(datetime.timezone.utc)
start, end = (now - datetime.timedelta(days=30), now - datetime.timedelta(days=1)) if kind == "expired" \
    else (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=30))
certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
               .sign(key, hashes.SHA256()))
with open(f"{directory}/{kind}.key", "wb") as file:
    file.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()))
with open(f"{directory}/{kind}.crt", "wb") as file:
    file.write(certificate.public_bytes(serialization.Encoding.PEM))
print(certificate.fingerprint(hashes.SHA256()).hex())
