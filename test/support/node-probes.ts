import type { OpenSession } from './autobahn.js';

/** What a node's /health answers. */
export async function health(port: number): Promise<{ status: string; reason?: string }> {
  return await (await fetch(`http://127.0.0.1:${port}/health`)).json() as { status: string; reason?: string };
}

/** One series of a node's /metrics (`name{labels}` as printed), 0 when it is not there yet. */
export async function metric(port: number, series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Registers `procedure` on `on` and says what came of it: 'registered' (and unregisters it again) or the error URI. */
export async function tryRegister(on: OpenSession, procedure: string): Promise<string> {
  try {
    const registration = await on.session.register(procedure, () => 0);
    await on.session.unregister(registration);
    return 'registered';
  } catch (error) {
    return (error as { error: string }).error;
  }
}
