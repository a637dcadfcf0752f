/**
 * Command-line flags shared by every command that runs a stack: device and address flags,
 * and the impairment flags applied by a FaultInjector on the stack's side of the device.
 */
import { parseArgs } from 'node:util';
import { TuntcpError } from '../errors.js';

export class UsageError extends TuntcpError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

export const DEVICE_FLAGS = {
  netns: { type: 'string' },
  addr: { type: 'string', default: '10.7.0.2/24' },
  'peer-addr': { type: 'string', default: '10.7.0.1/24' },
  addr6: { type: 'string', default: 'fd07::2/64' },
  'peer-addr6': { type: 'string', default: 'fd07::1/64' },
  mtu: { type: 'string', default: '1500' },
  pcap: { type: 'string' },
  trace: { type: 'boolean', default: false },
} as const;

export const IMPAIRMENT_FLAGS = {
  drop: { type: 'string' },
  duplicate: { type: 'string' },
  reorder: { type: 'string' },
  corrupt: { type: 'string' },
  delay: { type: 'string' },
  rate: { type: 'string' },
  seed: { type: 'string', default: '1' },
} as const;

export interface Impairments {
  seed: number;
  drop?: number;
  duplicate?: number;
  reorder?: number;
  corrupt?: number;
  delayMs?: number;
  jitterMs?: number;
  rateMbit?: number;
}

export interface DeviceOptions {
  netns: string | undefined;
  addr: string;
  peerAddr: string;
  addr6: string;
  peerAddr6: string;
  mtu: number;
  pcap: string | undefined;
  trace: boolean;
}

type FlagValues = Record<string, string | boolean | undefined>;

export function parseCommandArgs<T extends Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>>(
  argv: string[],
  flags: T,
): { values: FlagValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: flags, allowPositionals: true, strict: true });
    return { values: values as FlagValues, positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function probability(name: string, text: string | boolean | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (typeof text !== 'string' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new UsageError(`--${name} takes a probability from 0 to 1, got "${String(text)}"`);
  }
  return value;
}

function positiveNumber(name: string, text: string, integer = false): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} takes a ${integer ? 'non-negative integer' : 'non-negative number'}, got "${text}"`);
  }
  return value;
}

export function readImpairments(values: FlagValues): Impairments | undefined {
  const impairments: Impairments = { seed: positiveNumber('seed', String(values.seed ?? '1'), true) };
  impairments.drop = probability('drop', values.drop);
  impairments.duplicate = probability('duplicate', values.duplicate);
  impairments.reorder = probability('reorder', values.reorder);
  impairments.corrupt = probability('corrupt', values.corrupt);
  if (typeof values.delay === 'string') {
    const [delay, jitter] = values.delay.split(':');
    impairments.delayMs = positiveNumber('delay', delay ?? '');
    if (jitter !== undefined) impairments.jitterMs = positiveNumber('delay', jitter);
  }
  if (typeof values.rate === 'string') impairments.rateMbit = positiveNumber('rate', values.rate);
  const { seed: _seed, ...rest } = impairments;
  return Object.values(rest).some((v) => v !== undefined && v !== 0) ? impairments : undefined;
}

export function readDeviceOptions(values: FlagValues): DeviceOptions {
  const mtu = positiveNumber('mtu', String(values.mtu), true);
  if (mtu < 1280 || mtu > 65535) throw new UsageError(`--mtu must be 1280..65535 (IPv6 needs 1280), got ${mtu}`);
  return {
    netns: values.netns as string | undefined,
    addr: values.addr as string,
    peerAddr: values['peer-addr'] as string,
    addr6: values.addr6 as string,
    peerAddr6: values['peer-addr6'] as string,
    mtu,
    pcap: values.pcap as string | undefined,
    trace: values.trace === true,
  };
}
