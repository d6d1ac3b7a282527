/**
 * The floor for the HTTP publisher: what any Node HTTP server must do for one publication over
 * POST, with nothing of the router. It reads the body, parses the JSON {"topic", "args"} (the
 * body the bench's HTTP publisher sends), hands topic and args to `publish` (the relay's fan-out)
 * and answers 200 {"id": n} as application/json with a Content-Length, on a keep-alive
 * connection. The relay server (relay-server.mjs, settings.httpPublish) serves it at /publish
 * on the port of its WebSocket server; the "relay-http" system sends the bench's POSTs there.
 *
 * Bad requests get a status and one line of text; the bench never sends any.
 */
export function handlePublishRequest(request, response, publish) {
  if (request.method !== 'POST' || request.url !== '/publish') return answer(response, 404, 'text/plain', 'POST /publish only\n');
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return answer(response, 400, 'text/plain', 'the body is not JSON\n');
    }
    if (typeof body?.topic !== 'string' || !Array.isArray(body.args)) return answer(response, 400, 'text/plain', 'expected {"topic": string, "args": list}\n');
    const id = publish(body.topic, body.args);
    answer(response, 200, 'application/json', `{"id":${id}}`);
  });
}

function answer(response, status, type, text) {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
