/** Test certificates made by `openssl` in a temp dir: an RSA CA and leaves of every key type we sign with. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type LeafKind = 'rsa' | 'p256' | 'p384' | 'ed25519';

export interface Pki {
  readonly dir: string;
  readonly caPem: string;
  leaf(kind: LeafKind): { key: string; cert: string; keyFile: string; certFile: string };
  /** A leaf without CA: self-signed. */
  readonly selfSigned: { key: string; cert: string };
  /** A leaf signed by a certificate that is not a CA. */
  readonly nonCaChain: { key: string; cert: string };
  /** A client-auth-only leaf (EKU clientAuth) */
  readonly clientOnly: { key: string; cert: string };
  cleanup(): void;
}

const KEY_ARGS: Record<LeafKind, string[]> = {
  rsa: ['-newkey', 'rsa:2048'],
  p256: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  ed25519: ['-newkey', 'ed25519'],
};

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe', timeout: 30_000 });
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'tuntcp-tls-'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=tuntcp test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const sign = (name: string, keyArgs: string[], ext: string, issuer = 'ca'): void => {
    openssl(['req', '-new', ...keyArgs, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial',
      '-out', `${name}.pem`, '-days', '30', '-extfile', `${name}.ext`], dir);
  };
  const serverExt = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n';
  const read = (name: string): { key: string; cert: string; keyFile: string; certFile: string } => ({
    key: readFileSync(join(dir, `${name}.key`), 'utf8'),
    cert: readFileSync(join(dir, `${name}.pem`), 'utf8'),
    keyFile: join(dir, `${name}.key`),
    certFile: join(dir, `${name}.pem`),
  });
  const made = new Set<LeafKind>();
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'self.key', '-out', 'self.pem',
    '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], dir);
  sign('notca', KEY_ARGS.p256, 'basicConstraints=CA:FALSE\n');
  sign('undernotca', KEY_ARGS.p256, serverExt, 'notca');
  sign('clientonly', KEY_ARGS.p256, 'subjectAltName=DNS:localhost\nextendedKeyUsage=clientAuth\n');
  const undernotca = read('undernotca');
  return {
    dir,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    leaf(kind) {
      if (!made.has(kind)) {
        sign(kind, KEY_ARGS[kind], serverExt);
        made.add(kind);
      }
      return read(kind);
    },
    selfSigned: read('self'),
    nonCaChain: { key: undernotca.key, cert: undernotca.cert + readFileSync(join(dir, 'notca.pem'), 'utf8') },
    clientOnly: read('clientonly'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
