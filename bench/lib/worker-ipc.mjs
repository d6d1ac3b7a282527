/**
 * The child side of the parent <-> child protocol. Every child process in the bench reads its
 * settings from argv[2] (JSON), reports over IPC, and exits when the parent goes away or after a
 * hard deadline, so no child can outlive a crashed or stuck run.
 */

export function childSettings() {
  const settings = JSON.parse(process.argv[2] ?? '{}');
  process.on('disconnect', () => process.exit(0));
  const deadline = setTimeout(() => {
    console.error(`[${process.argv[1]}] hard deadline of ${settings.hardTimeoutMs} ms reached, exiting`);
    process.exit(3);
  }, settings.hardTimeoutMs ?? 120_000);
  deadline.unref();
  return settings;
}

export function tell(message) {
  if (process.connected) process.send(message);
}

/** Calls handler(message) for each parent message of `type`. */
export function onParent(type, handler) {
  process.on('message', (message) => {
    if (message?.type === type) handler(message);
  });
}

/** Reports an error to the parent and exits non-zero. */
export function fail(error) {
  tell({ type: 'error', message: error?.stack ?? String(error) });
  setTimeout(() => process.exit(1), 50);
}
