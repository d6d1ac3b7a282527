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
  const idProblem = userIdLengthProblem('user_id', member.user_id, limits);
  if (idProblem !== undefined) return idProblem;
  if (member.user_info === undefined) return undefined;
  const infoSize = Buffer.byteLength(JSON.stringify(member.user_info));
  if (infoSize > limits.maxUserInfoSize) {
    return `"user_info" has ${infoSize} bytes of JSON, more than max_user_info_size (${limits.maxUserInfoSize})`;
  }
  return undefined;
}

/**
 * Why a user id is too long, or undefined: a presence member's `user_id`, or the `id` a connection
 * signs in with (pusher:signin), which the connection keeps and the HTTP API looks users up by.
 */
export function userIdLengthProblem(field: 'user_id' | 'id', id: string, limits: Pick<MemberLimits, 'maxUserIdLength'>): string | undefined {
  if (id.length <= limits.maxUserIdLength) return undefined;
  return `"${field}" has ${id.length} characters, more than max_user_id_length (${limits.maxUserIdLength})`;
}
