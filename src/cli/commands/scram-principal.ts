import { text } from 'node:stream/consumers';
import { defaultScramParameters } from '../../auth/scram-keys.js';
import { scramPrincipal } from '../../auth/scram-password.js';
import { isScramKdf, scramKdfs } from '../../protocol/scram.js';
import { readArguments, refuseArguments } from '../command-line.js';
import type { CommandIo } from '../io.js';

export const usage = `Usage: junction scram-principal --role ROLE [--kdf KDF] [--iterations N] [--memory KIB]

Reads a password on stdin (the first line, without its line break) and prints a WAMP-SCRAM
principal for "auth": {"scram": {"type": "static", "principals": {AUTHID: ...}}}. The salt is
random; the router keeps only the derived keys, not the password. The same principal comes from
Autobahn|Python's derive_scram_credential (which adds no role).

  --role ROLE       the role the principal signs in with (required)
  --kdf KDF         ${scramKdfs.join(', ')} (default ${defaultScramParameters.kdf})
  --iterations N    Argon2 time cost or PBKDF2 iterations (default ${defaultScramParameters.iterations}, as Autobahn's)
  --memory KIB      Argon2 memory cost in KiB (default ${defaultScramParameters.memory}, as Autobahn's)

Example:  printf '%s' "$PASSWORD" | junction scram-principal --role user
`;

export async function run(argv: string[], io: CommandIo, input: NodeJS.ReadableStream = process.stdin): Promise<number> {
  const parsed = readArguments(io, 'scram-principal', usage, {
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      role: { type: 'string' },
      kdf: { type: 'string' },
      iterations: { type: 'string' },
      memory: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (typeof parsed === 'number') return parsed;
  const { role, kdf = defaultScramParameters.kdf, iterations, memory } = parsed.values;
  const refuse = (problem: string) => refuseArguments(io, 'scram-principal', problem, usage);
  if (role === undefined || role === '') return refuse('--role is required');
  if (!isScramKdf(kdf)) return refuse(`--kdf must be one of ${scramKdfs.join(', ')}`);
  const counts: { iterations?: number; memory?: number } = {};
  for (const [name, value] of [['iterations', iterations], ['memory', memory]] as const) {
    if (value === undefined) continue;
    if (!/^[1-9]\d{0,9}$/.test(value)) return refuse(`--${name} must be a positive integer`);
    counts[name] = Number(value);
  }
  if (kdf === 'pbkdf2' && counts.memory !== undefined) return refuse('--memory applies to Argon2 only');

  const password = (await text(input)).split(/\r?\n/, 1)[0] ?? '';
  if (password === '') {
    io.stderr('junction scram-principal: no password on stdin\n');
    return 1;
  }
  const principal = await scramPrincipal(password, { kdf, ...counts });
  io.stdout(`${JSON.stringify({ ...principal, role }, null, 2)}\n`);
  return 0;
}
