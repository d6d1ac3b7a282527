/** The error URIs a program-backed procedure answers with (documented in docs/rest-procedures.md). */
export const ProcessErrorUri = {
  /** The program exited with a non-zero code, was killed by a signal, or could not be started. */
  failed: 'junction.error.process.failed',
  /** The program did not finish within the component's timeout and was killed. */
  timeout: 'junction.error.process.timeout',
  /** The program wrote more than max_output_bytes to stdout and was killed. */
  outputTooLarge: 'junction.error.process.output_too_large',
  /** Every run slot is taken and the waiting line is full. */
  busy: 'junction.error.process.busy',
  /** The call was canceled, or the router is shutting down; the program was killed. */
  canceled: 'wamp.error.canceled',
} as const;
