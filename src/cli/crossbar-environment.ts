/** Crossbar FX's management uplink, from the environment: its edge node reads it before a config's `fabric` block. */
export const fabricUrlVariable = 'CROSSBAR_FABRIC_URL';

/**
 * What start warns of a set CROSSBAR_FABRIC_URL, or undefined when it is unset or blank (Crossbar
 * FX connects no uplink then either). Warned of, not refused as a `fabric` block with a transport
 * is: the file is this node's own, while a variable may come from anywhere in the environment,
 * and Crossbar's own standalone node ignores it. The URL is not repeated: it may hold credentials.
 */
export function fabricUrlWarning(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if ((env[fabricUrlVariable] ?? '').trim() === '') return undefined;
  return `$${fabricUrlVariable} is set, but Junction has no management uplink (Crossbar FX's master node): ` +
    'this node connects to no master and runs from its own configuration';
}
