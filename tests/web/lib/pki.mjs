// Test certificates made with the openssl CLI: a CA, S/MIME end-entity certificates issued by
// it (alice: RSA with an encrypted PKCS#8 key; bob: a PKCS#12 with key and passphrase), an
// expired and a not-yet-valid certificate, one that breaks a rule (no email address), and one
// whose common name is markup (<script>alert(1)</script>). Signers for incoming signed mail
// (createSigners): one issued by the CA whose common name is markup (<img src=x onerror=...>),
// and a self-signed one no anchor vouches for.

import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { cleanEnvironment } from './appliance.mjs';

const exec = promisify(execFile);

export const PASSPHRASES = { aliceKey: 'alice-key-passphrase', bobP12: 'bob-p12-passphrase' };
export const XSS_NAME = '<script>alert(1)</script>';
export const XSS_SIGNER_NAME = '<img src=x onerror=alert(2)>';

export async function openssl(args, { cwd, input } = {}) {
  try {
    const child = exec('openssl', args, { cwd, env: cleanEnvironment(), encoding: 'buffer', maxBuffer: 16 << 20 });
    child.child.stdin.end(input);
    return (await child).stdout;
  } catch (error) {
    throw new Error(`openssl ${args.join(' ')} failed: ${error.stderr ? error.stderr.toString() : error.message}`);
  }
}

/** DER bytes of the first certificate (or CSR, key…) in a PEM text. */
export function pemToDer(pem) {
  const match = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem.toString());
  if (!match) throw new Error('No PEM block found');
  return Buffer.from(match[2].replace(/\s+/g, ''), 'base64');
}

const CA_CONFIG = `[ ca ]
default_ca = test_ca
[ test_ca ]
database = db/index.txt
new_certs_dir = db
serial = db/serial
default_md = sha256
policy = any_name
unique_subject = no
email_in_dn = no
copy_extensions = none
[ any_name ]
commonName = optional
emailAddress = optional
organizationName = optional
[ smime ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = emailProtection
subjectAltName = email:\${ENV::CERT_EMAIL}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ smime_ec ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyAgreement
extendedKeyUsage = emailProtection
subjectAltName = email:\${ENV::CERT_EMAIL}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ no_email ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

export class TestPki {
  constructor(directory) {
    this.dir = directory;
  }

  file(name) {
    return path.join(this.dir, name);
  }

  async read(name) {
    return readFile(this.file(name));
  }

  async newKey(name, kind) {
    const args = kind === 'rsa'
      ? ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${name}.key`]
      : ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`];
    await openssl(args, { cwd: this.dir });
  }

  /** A CA-issued certificate: name.key, name.crt. */
  async issue(name, { subject, email, kind = 'ec', extensions, start, end }) {
    await this.newKey(name, kind);
    await openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], { cwd: this.dir });
    await this.signRequest(`${name}.csr`, `${name}.crt`, {
      email, extensions: extensions || (kind === 'rsa' ? 'smime' : 'smime_ec'), start, end,
    });
  }

  /** Signs a CSR file with the test CA (the CSR's own extensions are ignored). */
  async signRequest(csrFile, certFile, { email, extensions = 'smime', start, end }) {
    const dates = start ? ['-startdate', start, '-enddate', end] : ['-days', '365'];
    try {
      await exec('openssl', ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key',
        '-in', csrFile, '-out', certFile, '-extensions', extensions, '-notext', ...dates],
      { cwd: this.dir, env: cleanEnvironment({ CERT_EMAIL: email || 'nobody@example.com' }) });
    } catch (error) {
      throw new Error(`openssl ca failed: ${error.stderr || error.message}`);
    }
  }

  async create() {
    await mkdir(path.join(this.dir, 'db'), { recursive: true });
    await writeFile(this.file('db/index.txt'), '');
    await writeFile(this.file('db/serial'), '1000\n');
    await writeFile(this.file('ca.cnf'), CA_CONFIG);

    await this.newKey('ca', 'ec');
    await openssl(['req', '-x509', '-new', '-key', 'ca.key', '-out', 'ca.crt', '-days', '3650',
      '-subj', '/O=Example Test/CN=Example Test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-addext', 'subjectKeyIdentifier=hash',
      '-addext', 'authorityKeyIdentifier=keyid:always'], { cwd: this.dir });

    await this.issue('alice', { subject: '/CN=Alice Example/O=Example Test', email: 'alice@example.com', kind: 'rsa' });
    await this.issue('bob', { subject: '/CN=Bob Example/O=Example Test', email: 'bob@example.com' });
    await this.issue('carol', {
      subject: '/CN=Carol Expired', email: 'carol@example.com', start: '20200101000000Z', end: '20210101000000Z',
    });
    await this.issue('dave', {
      subject: '/CN=Dave Future', email: 'dave@example.com', start: '20350101000000Z', end: '20360101000000Z',
    });
    await this.issue('noemail', { subject: '/CN=No Email Address', extensions: 'no_email' });
    await this.issue('erin', { subject: '/CN=Erin DER', email: 'erin@example.com' });
    await this.issue('frank', { subject: '/CN=Frank PKCS7', email: 'frank@example.com' });
    await this.issue('xss', { subject: `/CN=${XSS_NAME.replaceAll('/', '\\/')}`, email: 'xss@example.com' });

    // alice's key as encrypted PKCS#8 (AES-256) PEM.
    await openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', 'alice.key', '-out', 'alice.enc.key',
      '-passout', `pass:${PASSPHRASES.aliceKey}`], { cwd: this.dir });
    // bob's certificate and key as a PKCS#12 with a passphrase.
    await openssl(['pkcs12', '-export', '-in', 'bob.crt', '-inkey', 'bob.key', '-name', 'Bob Example',
      '-out', 'bob.p12', '-passout', `pass:${PASSPHRASES.bobP12}`], { cwd: this.dir });

    // erin as a DER file, frank as PKCS#7 certs-only (DER .p7b).
    await openssl(['x509', '-in', 'erin.crt', '-outform', 'DER', '-out', 'erin.der'], { cwd: this.dir });
    await openssl(['crl2pkcs7', '-nocrl', '-certfile', 'frank.crt', '-outform', 'DER', '-out', 'frank.p7b'], { cwd: this.dir });

    const pems = await Promise.all(['ca', 'alice', 'carol', 'dave', 'noemail'].map((n) => this.read(`${n}.crt`)));
    await writeFile(this.file('bundle.pem'), Buffer.concat(pems));

    this.fingerprints = {};
    for (const name of ['ca', 'alice', 'bob', 'carol', 'dave', 'noemail', 'erin', 'frank', 'xss']) {
      this.fingerprints[name] = await this.fingerprint(`${name}.crt`);
    }
  }

  /** Lowercase hex SHA-256 of a certificate file's DER. */
  async fingerprint(file) {
    const der = await openssl(['x509', '-in', file, '-outform', 'DER'], { cwd: this.dir });
    const { createHash } = await import('node:crypto');
    return createHash('sha256').update(der).digest('hex');
  }

  /** mallet (CA-issued, RSA, CN is markup) and outsider (self-signed), both able to sign. */
  async createSigners() {
    await this.issue('mallet', { subject: `/CN=${XSS_SIGNER_NAME}`, email: 'mallet@example.com', kind: 'rsa' });
    await this.newKey('outsider', 'rsa');
    await openssl(['req', '-x509', '-new', '-key', 'outsider.key', '-out', 'outsider.crt', '-days', '365',
      '-subj', '/CN=Outsider Self-Signed',
      '-addext', 'keyUsage=critical,digitalSignature',
      '-addext', 'extendedKeyUsage=emailProtection',
      '-addext', 'subjectAltName=email:outsider@example.org'], { cwd: this.dir });
  }

  /** entity (a MIME entity, CRLF) signed by name.crt/name.key: a detached multipart/signed message. */
  async signedMessage(name, entity, { from, to, subject }) {
    return openssl(['cms', '-sign', '-signer', `${name}.crt`, '-inkey', `${name}.key`, '-md', 'sha256',
      '-crlfeol', '-from', from, '-to', to, '-subject', subject], { cwd: this.dir, input: entity });
  }

  /** An S/MIME message encrypted (openssl cms) to the certificate in certFile. */
  async encryptedMessage(certFile, { from, to, subject }) {
    const content = 'Content-Type: text/plain; charset=utf-8\r\n\r\nA secret for the web test.\r\n';
    return openssl(['cms', '-encrypt', '-aes256', '-from', from, '-to', to, '-subject', subject, certFile],
      { cwd: this.dir, input: content });
  }
}
