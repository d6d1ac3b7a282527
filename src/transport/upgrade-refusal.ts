import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Answers an HTTP upgrade request with `status` and a plain-text `message`, and closes the connection. */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  const body = message.endsWith('\n') ? message : `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
