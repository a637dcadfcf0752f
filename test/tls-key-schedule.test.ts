import { describe, expect, it } from 'vitest';
import { createHash, createPrivateKey, createPublicKey, diffieHellman, hkdfSync } from 'node:crypto';
import {
  KeySchedule,
  deriveSecret,
  emptyHash,
  finishedKey,
  hkdfExpand,
  hkdfExpandLabel,
  hkdfExtract,
  trafficKeys,
} from '../src/tls/key-schedule.js';
import { CLIENT_HELLO, SERVER_HELLO, hex } from './tls-rfc8448.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const CLIENT_X25519_PRIVATE = hex('49 af 42 ba 7f 79 94 85 2d 71 3e f2 78 4b cb ca a7 91 1d e2 6a dc 56 42 cb 63 45 40 e7 ea 50 05');
const SERVER_X25519_PUBLIC = hex('c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f');
const V = {
  ecdhe: '8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d',
  helloHash: '860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8',
  serverFinishedHash: '9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13',
  early: '33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a',
  derivedForHandshake: '6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba',
  handshake: '1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac',
  clientHs: 'b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21',
  serverHs: 'b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38',
  derivedForMaster: '43de77e0c77713859a944db9db2590b53190a65b3ee2e4f12dd7a0bb7ce254b4',
  master: '18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919',
  clientAp: '9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5',
  serverAp: 'a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643',
  exporter: 'fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50',
  serverHsKey: '3fce516009c21727d0f2e4e86ee403bc',
  serverHsIv: '5d313eb2671276ee13000b30',
  serverFinishedKey: '008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8',
  serverApKey: '9f02283b6c9c07efc26bb9f2ac92e356',
  serverApIv: 'cf782b88dd83549aadf1e984',
  clientHsKey: 'dbfaa693d1762c5b666af5d950258d01',
  clientHsIv: '5bd3c71b836e0b76bb73265f',
};

function x25519Shared(privateRaw: Uint8Array, publicRaw: Uint8Array): Uint8Array {
  const privateKey = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), privateRaw]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), publicRaw]),
    format: 'der',
    type: 'spki',
  });
  return diffieHellman({ privateKey, publicKey });
}

describe('TLS 1.3 key schedule against RFC 8448 §3', () => {
  const shared = x25519Shared(CLIENT_X25519_PRIVATE, SERVER_X25519_PUBLIC);
  const helloHash = createHash('sha256').update(CLIENT_HELLO).update(SERVER_HELLO).digest();

  it('reproduces the (EC)DHE input and the transcript hash', () => {
    expect(toHex(shared)).toBe(V.ecdhe);
    expect(toHex(helloHash)).toBe(V.helloHash);
  });

  it('reproduces every secret of the tree with the primitive functions', () => {
    const zeros = new Uint8Array(32);
    const early = hkdfExtract('sha256', zeros, zeros);
    expect(toHex(early)).toBe(V.early);
    const derived = deriveSecret('sha256', early, 'derived', emptyHash('sha256'));
    expect(toHex(derived)).toBe(V.derivedForHandshake);
    const handshake = hkdfExtract('sha256', derived, shared);
    expect(toHex(handshake)).toBe(V.handshake);
    expect(toHex(deriveSecret('sha256', handshake, 'c hs traffic', helloHash))).toBe(V.clientHs);
    expect(toHex(deriveSecret('sha256', handshake, 's hs traffic', helloHash))).toBe(V.serverHs);
    const derived2 = deriveSecret('sha256', handshake, 'derived', emptyHash('sha256'));
    expect(toHex(derived2)).toBe(V.derivedForMaster);
    expect(toHex(hkdfExtract('sha256', derived2, zeros))).toBe(V.master);
  });

  it('reproduces the traffic secrets, keys, IVs and Finished key through KeySchedule', () => {
    const schedule = new KeySchedule('sha256');
    expect(toHex(schedule.earlySecret)).toBe(V.early);
    const hs = schedule.enterHandshake(shared, helloHash);
    expect(toHex(hs.client)).toBe(V.clientHs);
    expect(toHex(hs.server)).toBe(V.serverHs);
    const serverHsKeys = trafficKeys('sha256', hs.server, 16);
    expect(toHex(serverHsKeys.key)).toBe(V.serverHsKey);
    expect(toHex(serverHsKeys.iv)).toBe(V.serverHsIv);
    const clientHsKeys = trafficKeys('sha256', hs.client, 16);
    expect(toHex(clientHsKeys.key)).toBe(V.clientHsKey);
    expect(toHex(clientHsKeys.iv)).toBe(V.clientHsIv);
    expect(toHex(finishedKey('sha256', hs.server))).toBe(V.serverFinishedKey);

    const ap = schedule.enterApplication(hex(V.serverFinishedHash));
    expect(toHex(schedule.masterSecret!)).toBe(V.master);
    expect(toHex(ap.client)).toBe(V.clientAp);
    expect(toHex(ap.server)).toBe(V.serverAp);
    expect(toHex(ap.exporter)).toBe(V.exporter);
    const serverApKeys = trafficKeys('sha256', ap.server, 16);
    expect(toHex(serverApKeys.key)).toBe(V.serverApKey);
    expect(toHex(serverApKeys.iv)).toBe(V.serverApIv);
  });

  it('HKDF on SHA-384 agrees with OpenSSL HKDF (node hkdfSync) for extract+expand', () => {
    const ikm = hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b');
    const salt = hex('000102030405060708090a0b0c');
    const info = hex('f0f1f2f3f4f5f6f7f8f9');
    for (const length of [1, 48, 49, 100]) {
      const ours = hkdfExpand('sha384', hkdfExtract('sha384', salt, ikm), info, length);
      const theirs = new Uint8Array(hkdfSync('sha384', ikm, salt, info, length));
      expect(toHex(ours)).toBe(toHex(theirs));
    }
    const secret = hkdfExpandLabel('sha384', new Uint8Array(48).fill(7), 'key', new Uint8Array(0), 32);
    expect(secret.length).toBe(32);
    expect(new KeySchedule('sha384').earlySecret.length).toBe(48);
  });
});
