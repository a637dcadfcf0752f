import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePemCertificates, readConstraints, verifyPeer } from '../src/tls/certificates.js';
import { makePki, type Pki } from './tls-fixtures.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki?.cleanup());

const DAY = 86_400_000;
const chainOf = (pem: string) => parsePemCertificates(pem);

/** Makes `name` signed by `issuer` in the PKI dir, with the given extensions. */
function issue(name: string, issuer: string, extensions: string): string {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: pki.dir, stdio: 'pipe', timeout: 30_000 });
  run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  writeFileSync(join(pki.dir, `${name}.ext`), extensions);
  run(['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '5', '-extfile', `${name}.ext`]);
  return readFileSync(join(pki.dir, `${name}.pem`), 'utf8');
}

describe('verifyPeer', () => {
  it('authorizes a leaf issued by the trusted CA and reports the path', () => {
    const result = verifyPeer(chainOf(pki.leaf('p256').cert), { ca: pki.caPem, host: 'localhost' });
    expect(result).toMatchObject({ authorized: true });
    expect(result.path.map((c) => c.subject)).toEqual(['CN=p256', 'CN=tuntcp test CA']);
  });

  it('checks host names and IP addresses against subjectAltName', () => {
    const chain = chainOf(pki.leaf('p256').cert);
    expect(verifyPeer(chain, { ca: pki.caPem, host: '127.0.0.1' }).authorized).toBe(true);
    expect(verifyPeer(chain, { ca: pki.caPem, host: 'example.com' })).toMatchObject({ authorized: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(verifyPeer(chain, { ca: pki.caPem, host: '10.0.0.1' }).error).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('refuses an unknown issuer, with Node root store by default', () => {
    expect(verifyPeer(chainOf(pki.leaf('p256').cert)).error).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(verifyPeer(chainOf(pki.leaf('p256').cert), { ca: pki.selfSigned.cert }).error).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('self-signed: refused unless trusted itself', () => {
    const chain = chainOf(pki.selfSigned.cert);
    expect(verifyPeer(chain, { ca: pki.caPem }).error).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(verifyPeer(chain, { ca: pki.selfSigned.cert }).authorized).toBe(true);
  });

  it('dates: expired and not yet valid', () => {
    const chain = chainOf(pki.leaf('p256').cert);
    expect(verifyPeer(chain, { ca: pki.caPem, now: new Date(Date.now() + 400 * DAY) }).error).toBe('CERT_HAS_EXPIRED');
    expect(verifyPeer(chain, { ca: pki.caPem, now: new Date(Date.now() - 2 * DAY) }).error).toBe('CERT_NOT_YET_VALID');
  });

  it('an issuer that is not a CA is INVALID_CA', () => {
    expect(verifyPeer(chainOf(pki.nonCaChain.cert), { ca: pki.caPem })).toMatchObject({ authorized: false, error: 'INVALID_CA' });
  });

  it('extended key usage must allow the purpose', () => {
    const chain = chainOf(pki.clientOnly.cert);
    expect(verifyPeer(chain, { ca: pki.caPem, purpose: 'server' }).error).toBe('INVALID_PURPOSE');
    expect(verifyPeer(chain, { ca: pki.caPem, purpose: 'client' }).authorized).toBe(true);
  });

  it('intermediates: a good chain passes; pathlen:0 and a CA without keyCertSign are refused', () => {
    const good = issue('inter', 'ca', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n');
    const leaf = issue('leafinter', 'inter', 'subjectAltName=DNS:localhost\n');
    expect(verifyPeer(chainOf(leaf + good), { ca: pki.caPem, host: 'localhost' })).toMatchObject({ authorized: true });
    expect(verifyPeer(chainOf(leaf), { ca: pki.caPem }).error).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');

    const zero = issue('zero', 'ca', 'basicConstraints=critical,CA:TRUE,pathlen:0\n');
    expect(readConstraints(chainOf(zero)[0]).pathLength).toBe(0);
    const below = issue('belowzero', 'zero', 'basicConstraints=critical,CA:TRUE\n');
    const deep = issue('deepleaf', 'belowzero', 'subjectAltName=DNS:localhost\n');
    expect(verifyPeer(chainOf(deep + below + zero), { ca: pki.caPem }).error).toBe('PATH_LENGTH_EXCEEDED');

    const noSign = issue('nosign', 'ca', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature\n');
    expect(readConstraints(chainOf(noSign)[0]).keyUsage?.[5]).toBe('0');
    const underNoSign = issue('undernosign', 'nosign', 'subjectAltName=DNS:localhost\n');
    expect(verifyPeer(chainOf(underNoSign + noSign), { ca: pki.caPem }).error).toBe('INVALID_CA');
  });
});
