import type { IncomingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';

/** An HTTP answer, its body read whole as UTF-8. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpExchangeOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body in two writes, so that Node sends it chunked, with no Content-Length. */
  chunked?: boolean;
  localAddress?: string;
}

/** One request to a node on 127.0.0.1:`port` and its whole answer. */
export function httpExchange(port: number, path: string, options: HttpExchangeOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, localAddress: options.localAddress }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
      response.on('error', reject);
    });
    request.on('error', reject);
    if (options.chunked === true && options.body !== undefined) {
      const text = options.body.toString();
      request.write(text.slice(0, 10));
      request.end(text.slice(10));
    } else request.end(options.body);
  });
}
