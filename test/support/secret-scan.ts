import { randomBytes } from 'node:crypto';

/**
 * The bookkeeping of a "no secret on any surface" suite: secrets made as distinctive markers (easy
 * to find in any text), the credentials made from them or handed out, and every text a surface
 * showed; `leaks` names each surface that shows one.
 */
export class SecretScan {
  private readonly run = randomBytes(4).toString('hex');
  private readonly secrets: { name: string; value: string }[] = [];
  readonly seen: { where: string; text: string }[] = [];

  /** A secret as the config (or a client) holds it, `name` kept to say which leaked. */
  mark(name: string): string {
    const value = `zz${name}Q${this.run}`;
    this.secrets.push({ name, value });
    return value;
  }

  /** An object of markers, one per name. */
  marks<Name extends string>(...names: Name[]): Record<Name, string> {
    return Object.fromEntries(names.map((name) => [name, this.mark(name)])) as Record<Name, string>;
  }

  /** Secrets made from the markers or handed out (derived keys, signatures, a cookie): credentials too. */
  derive(name: string, ...values: string[]): void {
    this.secrets.push(...values.map((value) => ({ name, value })));
  }

  /** What `where` showed: a string as it is, anything else as JSON. */
  saw(where: string, value: unknown): void {
    this.seen.push({ where, text: typeof value === 'string' ? value : JSON.stringify(value) });
  }

  /** "SURFACE shows SECRET", once each. */
  leaks(): string[] {
    const found = this.seen.flatMap(({ where, text }) => this.secrets.filter(({ value }) => text.includes(value)).map(({ name }) => `${where} shows ${name}`));
    return [...new Set(found)];
  }

  /** The texts seen on the surfaces named `where`, joined: for a test to check that the scan saw what it names. */
  textOf(where: string): string {
    return this.seen.filter((item) => item.where === where).map((item) => item.text).join('\n');
  }
}
