/** What the sign-in form says when the console's session has ended, by whom it was ended. */

/** The client's reason for a connection that went away without a GOODBYE (src/client/link.ts). */
const LOST = 'lost';

export function sessionEndNotice(end: { reason: string; message?: string | undefined }, signedOut: boolean): string {
  if (signedOut) return 'Signed out.';
  const detail = end.message ? ` (${end.message})` : '';
  if (end.reason === LOST) return `The connection to the router was lost${detail}. Sign in again once it is back.`;
  return `The router ended the session: ${end.reason}${detail}. Sign in again to go on.`;
}
