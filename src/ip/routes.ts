/**
 * The routing table: longest-prefix match (RFC 1812 §5.2.4.3) over on-link prefixes (one per
 * interface address), routes added by hand, and a default route per family.
 */
import { IpAddress, IpCidr } from './address.js';
import type { NetInterface } from './types.js';

export interface Route {
  readonly prefix: IpCidr;
  readonly iface: NetInterface;
  /** Derived from an interface address (removed with the interface). */
  readonly onLink: boolean;
}

export class RouteTable {
  private readonly routes: Route[] = [];

  add(prefix: IpCidr, iface: NetInterface, onLink = false): void {
    const network = networkOf(prefix);
    // One route per prefix: a later add replaces the earlier one.
    const existing = this.routes.findIndex((r) => r.prefix.prefixLength === network.prefixLength && r.prefix.address.equals(network.address));
    const route = { prefix: network, iface, onLink };
    if (existing >= 0) this.routes[existing] = route;
    else this.routes.push(route);
  }

  /** The most specific route containing dst, or undefined. */
  lookup(dst: IpAddress): Route | undefined {
    let best: Route | undefined;
    for (const route of this.routes) {
      if (route.prefix.contains(dst) && (best === undefined || route.prefix.prefixLength > best.prefix.prefixLength)) best = route;
    }
    return best;
  }

  hasDefault(family: 4 | 6): boolean {
    return this.routes.some((r) => r.prefix.prefixLength === 0 && r.prefix.address.family === family);
  }

  removeInterface(iface: NetInterface): void {
    for (let i = this.routes.length - 1; i >= 0; i--) if (this.routes[i]!.iface === iface) this.routes.splice(i, 1);
  }

  list(): readonly Route[] {
    return this.routes;
  }
}

/** The prefix with its host bits cleared ("10.7.0.2/24" → "10.7.0.0/24"). */
export function networkOf(cidr: IpCidr): IpCidr {
  const bytes = cidr.address.bytes.slice();
  for (let bit = cidr.prefixLength; bit < bytes.length * 8; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return new IpCidr(IpAddress.fromBytes(bytes), cidr.prefixLength);
}
