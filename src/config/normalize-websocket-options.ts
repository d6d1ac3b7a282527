import type { WebSocketOptions } from './model.js';
import type { WebSocketSettingsFile } from './schema-websocket.js';

export type SharedWebSocketOptionsFile = Pick<WebSocketSettingsFile['options'], 'max_message_size' | 'auto_ping_interval' | 'auto_ping_timeout'
  | 'open_handshake_timeout' | 'allowed_origins' | 'allow_null_origin' | 'compression' | 'max_buffered_bytes' | 'max_per_address'>;

/** The options a websocket path and a websocket-reverseproxy path's clients' side share. */
export function sharedWebSocketOptions(options: SharedWebSocketOptionsFile): Pick<WebSocketOptions, 'maxMessageSize' | 'autoPingInterval'
  | 'autoPingTimeout' | 'openHandshakeTimeout' | 'allowedOrigins' | 'allowNullOrigin' | 'compression' | 'maxBufferedBytes' | 'maxPerAddress'> {
  return {
    maxMessageSize: options.max_message_size,
    autoPingInterval: options.auto_ping_interval,
    autoPingTimeout: options.auto_ping_timeout,
    openHandshakeTimeout: options.open_handshake_timeout,
    allowedOrigins: [...options.allowed_origins],
    allowNullOrigin: options.allow_null_origin,
    compression: compressionEnabled(options.compression),
    maxBufferedBytes: options.max_buffered_bytes,
    maxPerAddress: options.max_per_address,
  };
}

/** Crossbar enables compression with {"deflate": {...}}; an object without it means off. */
export function compressionEnabled(compression: SharedWebSocketOptionsFile['compression']): boolean {
  return typeof compression === 'boolean' ? compression : compression.deflate !== undefined;
}
