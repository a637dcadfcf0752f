/**
 * Host names for the socket API. An IP literal (IPv4, IPv6, or IPv6 in brackets) never goes
 * through a resolver: it connects at once. Anything else is asked of a `Resolver`, a function
 * the application plugs in (`new Stream({ resolver })`, `new Stack({ resolver })` or
 * `stack.resolver = ...`). The default is a small table: `localhost` → 127.0.0.1.
 *
 * Plugging DNS: a resolver is any function returning addresses (sync or as a promise), e.g.
 *   const resolver: Resolver = async (name) => (await dns.promises.lookup(name, { all: true })).map((a) => a.address);
 * (that one asks the host's resolver, which may send queries on the real network).
 */
import { IpAddress } from '../ip/address.js';

/** Addresses for a name, best first; an empty list means "not found". */
export type Resolver = (hostname: string) => readonly (string | IpAddress)[] | Promise<readonly (string | IpAddress)[]>;

/** The names every stack knows. */
export const HOSTS: ReadonlyMap<string, readonly string[]> = new Map([
  ['localhost', ['127.0.0.1', '::1']],
  ['ip6-localhost', ['::1']],
  ['ip6-loopback', ['::1']],
]);

/** A resolver over a fixed table of names (case-insensitive), falling back to HOSTS. */
export function tableResolver(table: Readonly<Record<string, string | readonly string[]>> = {}): Resolver {
  const entries = new Map<string, readonly string[]>();
  for (const [name, value] of HOSTS) entries.set(name, value);
  for (const [name, value] of Object.entries(table)) entries.set(name.toLowerCase(), typeof value === 'string' ? [value] : value);
  return (hostname) => entries.get(hostname.toLowerCase()) ?? [];
}

/** The default resolver: HOSTS only. */
export const defaultResolver: Resolver = tableResolver();

/** An IP literal ('10.0.0.1', '2001:db8::68', '[::1]'), or undefined for a name. */
export function parseLiteral(host: string): IpAddress | undefined {
  return IpAddress.tryParse(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
}

/**
 * The first address `resolver` gives for `host` of the wanted family (0: any), as an
 * IpAddress; undefined when there is none. Rejects only when the resolver itself fails.
 */
export async function lookup(resolver: Resolver, host: string, family: 0 | 4 | 6 = 0): Promise<IpAddress | undefined> {
  const answers = await resolver(host);
  for (const answer of answers) {
    const address = typeof answer === 'string' ? IpAddress.tryParse(answer) : answer;
    if (address !== undefined && (family === 0 || address.family === family)) return address;
  }
  return undefined;
}
