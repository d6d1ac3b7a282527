import type { Dict } from '../protocol/messages.js';

/** Payload Passthru Mode keys the router copies from a sender's Options to the receiver's Details. */
const passthruKeys = ['ppt_scheme', 'ppt_serializer', 'ppt_cipher', 'ppt_keyid'] as const;

/** The same, as Autobahn|Python and Crossbar spell them ("payload transparency"). */
const autobahnPassthruKeys = ['enc_algo', 'enc_key', 'enc_serializer'] as const;

/** Copies the ppt_* (or enc_*) options into `details` (untouched, never interpreted); returns `details`. */
export function withPassthruDetails(options: Dict, details: Dict): Dict {
  if (options.ppt_scheme !== undefined) for (const key of passthruKeys) if (options[key] !== undefined) details[key] = options[key];
  if (options.enc_algo !== undefined) for (const key of autobahnPassthruKeys) if (options[key] !== undefined) details[key] = options[key];
  return details;
}
