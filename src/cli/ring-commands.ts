/** Ring commands (locate, distribution, movement): wired to HashRing in the ring issue. */
import type { ParseArgsConfig } from 'node:util';
import type { Io } from './io';

export interface RingCommand {
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run: (values: Record<string, string | boolean | string[] | undefined>, positionals: string[], io: Io) => Promise<number>;
}

export const RING_COMMANDS: Record<string, RingCommand | undefined> = {};
