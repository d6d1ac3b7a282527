/**
 * MQTT's answer codes, named. MQTT 3.1.1 has a CONNACK return code and one SUBACK failure code;
 * MQTT 5 has reason codes on CONNACK, SUBACK, PUBACK, PUBREC, DISCONNECT. Each refusal is written
 * once, with the code each version uses for it.
 */

import { ErrorUri } from '../../protocol/errors.js';

export const Reason = {
  success: 0x00,
  grantedQos1: 0x01,
  grantedQos2: 0x02,
  noMatchingSubscribers: 0x10,
  noSubscriptionExisted: 0x11,
  unspecified: 0x80,
  malformedPacket: 0x81,
  protocolError: 0x82,
  implementationSpecific: 0x83,
  unsupportedProtocolVersion: 0x84,
  clientIdNotValid: 0x85,
  badUsernameOrPassword: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  serverBusy: 0x89,
  serverShuttingDown: 0x8b,
  badAuthenticationMethod: 0x8c,
  keepAliveTimeout: 0x8d,
  sessionTakenOver: 0x8e,
  topicFilterInvalid: 0x8f,
  topicNameInvalid: 0x90,
  packetIdInUse: 0x91,
  packetIdNotFound: 0x92,
  receiveMaximumExceeded: 0x93,
  topicAliasInvalid: 0x94,
  packetTooLarge: 0x95,
  quotaExceeded: 0x97,
  administrativeAction: 0x98,
  payloadFormatInvalid: 0x99,
  retainNotSupported: 0x9a,
  sharedSubscriptionsNotSupported: 0x9e,
  connectionRateExceeded: 0x9f,
  subscriptionIdsNotSupported: 0xa1,
  wildcardsNotSupported: 0xa2,
} as const;

/** MQTT 3.1.1 CONNACK return codes. */
export const ConnectReturn = {
  accepted: 0,
  unacceptableProtocolVersion: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;

/** A CONNECT refusal in both versions' words. */
export interface ConnectRefusal {
  v3: number;
  v5: number;
  /** For the log and MQTT 5's reason string. */
  text: string;
}

export function connectRefusal(v5: number, text: string): ConnectRefusal {
  return { v3: v3ConnectCode(v5), v5, text };
}

function v3ConnectCode(v5: number): number {
  switch (v5) {
    case Reason.unsupportedProtocolVersion: return ConnectReturn.unacceptableProtocolVersion;
    case Reason.clientIdNotValid: return ConnectReturn.identifierRejected;
    case Reason.badUsernameOrPassword: return ConnectReturn.badUsernameOrPassword;
    case Reason.notAuthorized: return ConnectReturn.notAuthorized;
    default: return ConnectReturn.serverUnavailable;
  }
}

/** The MQTT 5 reason for a router ERROR to a SUBSCRIBE or PUBLISH (MQTT 3.1.1 has only 0x80 for SUBACK). */
export function reasonForRouterError(uri: string, request: 'subscribe' | 'publish'): number {
  switch (uri) {
    case ErrorUri.notAuthorized: return Reason.notAuthorized;
    case ErrorUri.invalidUri: return request === 'subscribe' ? Reason.topicFilterInvalid : Reason.topicNameInvalid;
    case ErrorUri.limitExceeded: return Reason.quotaExceeded;
    default: return Reason.unspecified;
  }
}

/** The sign-in's ABORT reason as a CONNECT refusal. */
export function refusalForAbort(uri: string, message: string, usedPassword: boolean): ConnectRefusal {
  switch (uri) {
    case ErrorUri.authenticationFailed:
      return connectRefusal(usedPassword ? Reason.badUsernameOrPassword : Reason.notAuthorized, message);
    case ErrorUri.noAuthMethod:
    case ErrorUri.notAuthorized:
    case ErrorUri.noSuchRole:
      return connectRefusal(Reason.notAuthorized, message);
    default:
      return connectRefusal(Reason.serverUnavailable, message);
  }
}
