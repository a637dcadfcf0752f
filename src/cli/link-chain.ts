/**
 * Compose a device with the wrappers every command offers (STYLE.md: devices compose):
 *   FaultInjector( Tracer( PcapWriter( device ) ) )
 * The pcap and the trace see exactly what crosses the wire; impairments act on the stack's
 * side of the device, in both directions.
 */
import type { Link } from '../link/link.js';
import { FaultInjector } from '../link/fault-injector.js';
import { PcapWriter } from '../link/pcap.js';
import { Tracer } from '../link/tracer.js';
import type { Impairments } from './args.js';

export interface LinkChainOptions {
  pcap?: string | undefined;
  /** Where trace lines go; no tracing when absent. */
  trace?: ((line: string) => void) | undefined;
  traceLabel?: string;
  impairments?: Impairments | undefined;
}

export function buildLinkChain(device: Link, options: LinkChainOptions): Link {
  let link: Link = device;
  if (options.pcap !== undefined) link = new PcapWriter(link, { path: options.pcap });
  if (options.trace !== undefined) {
    link = new Tracer(link, { write: options.trace, ...(options.traceLabel !== undefined ? { label: options.traceLabel } : {}) });
  }
  if (options.impairments !== undefined) link = new FaultInjector(link, options.impairments);
  return link;
}
