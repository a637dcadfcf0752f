/** A configured interface: a link, its MTU and addresses. */
import type { IpCidr, IpFamily } from './address.js';
import type { NetInterface } from './types.js';
import type { Link } from '../link/link.js';

export class Interface implements NetInterface {
  constructor(
    readonly name: string,
    readonly link: Link,
    readonly mtu: number,
    readonly addresses: readonly IpCidr[],
    readonly isLoopback: boolean,
  ) {}

  /** The addresses of one family. */
  addressesOf(family: IpFamily): IpCidr[] {
    return this.addresses.filter((cidr) => cidr.address.family === family);
  }

  toString(): string {
    return `${this.name} (${this.addresses.join(', ') || 'no address'}, mtu ${this.mtu})`;
  }
}
