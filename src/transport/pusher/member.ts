import type { Member } from './channels.js';

/** The presence limits a member's identity must fit (the transport's options). */
export interface MemberLimits {
  /** Characters of user_id. */
  maxUserIdLength: number;
  /** Bytes of user_info's JSON. */
  maxUserInfoSize: number;
}

/** The member that signed channel_data names; user_id may be a number, as Laravel's ids are. */
export function memberOf(value: unknown): Member | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { user_id: id, user_info: info } = value as Record<string, unknown>;
  if (!((typeof id === 'string' && id !== '') || (typeof id === 'number' && Number.isFinite(id)))) return undefined;
  return info === undefined ? { user_id: String(id) } : { user_id: String(id), user_info: info };
}

/**
 * Why the member is too large to admit, or undefined. Every member of the channel is sent every
 * other's identity (the member list, member_added), and the auth endpoint signs whatever the app
 * gives it: these caps keep that bounded.
 */
export function memberSizeProblem(member: Member, limits: MemberLimits): string | undefined {
  if (member.user_id.length > limits.maxUserIdLength) {
    return `"user_id" has ${member.user_id.length} characters, more than max_user_id_length (${limits.maxUserIdLength})`;
  }
  if (member.user_info === undefined) return undefined;
  const infoSize = Buffer.byteLength(JSON.stringify(member.user_info));
  if (infoSize > limits.maxUserInfoSize) {
    return `"user_info" has ${infoSize} bytes of JSON, more than max_user_info_size (${limits.maxUserInfoSize})`;
  }
  return undefined;
}
