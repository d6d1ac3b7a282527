import { connectClient } from '../clients/index.mjs';
import { childSettings, fail, onParent, tell } from '../lib/worker-ipc.mjs';

/** The single callee: registers the procedure and answers every invocation with its own args. */

const settings = childSettings();

async function main() {
  const client = await connectClient(settings.target);
  await client.register(settings.procedure, (args) => args);
  onParent('close', () => {
    client.close();
    setTimeout(() => process.exit(0), 200);
  });
  tell({ type: 'ready' });
}

main().catch(fail);
