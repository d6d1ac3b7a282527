/** URL path keys of a web transport: Crossbar writes "ws" or "/"; the model uses "/ws" and "/". */
export function normalizeWebPath(key: string): string {
  const segments = key.split('/').filter((segment) => segment !== '');
  return `/${segments.join('/')}`;
}
