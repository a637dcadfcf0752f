// Types of event-scenarios.mjs for the TypeScript tests.
import type { Duplex } from 'node:stream';

export interface ErrorFields {
  code: string | undefined;
  errno: number | undefined;
  syscall: string | undefined;
  address: string | undefined;
  port: number | undefined;
  message: string;
}

export interface RoleResult {
  events: string[];
  error: ErrorFields | null;
}

export type ScenarioName = 'normal-close' | 'peer-half-close' | 'refused' | 'reset' | 'timeout' | 'destroy-error';
export type Role = 'client' | 'server';

export declare function recordEvents(socket: Duplex): { events: string[]; note(name: string): void };
export declare function errorFields(error: unknown): ErrorFields | null;
export declare const SCENARIO_NAMES: ScenarioName[];
export declare function runRole(socket: Duplex, scenario: ScenarioName, role: Role): Promise<RoleResult>;
