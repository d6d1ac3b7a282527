import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { transportText } from './transport-text.js';

describe('transportText', () => {
  it('names the door: the path of a WebSocket, SSE or WAMP v1 session, an MQTT client ID, a Pusher app', () => {
    assert.equal(transportText({ type: 'websocket', serializer: 'json', extra: { path: '/console/ws' } }), 'websocket / json · /console/ws');
    assert.equal(transportText({ type: 'sse', serializer: 'json', extra: { path: '/sse' } }), 'sse / json · /sse');
    assert.equal(transportText({ type: 'mqtt', serializer: 'none', extra: { client_id: 'sensor-1' } }), 'mqtt · client sensor-1');
    assert.equal(transportText({ type: 'pusher', serializer: 'json', extra: { app: 'app1' } }), 'pusher / json · app app1');
  });
  it('leaves out a serializer of none and what it does not know', () => {
    assert.equal(transportText({ type: 'internal', serializer: 'none' }), 'internal');
    assert.equal(transportText({ type: 'longpoll', serializer: 'json', extra: { protocol: 'wamp.2.json' } }), 'longpoll / json');
  });
  it('shows a client-chosen ID as text, direction controls escaped', () => {
    assert.equal(transportText({ type: 'mqtt', serializer: 'none', extra: { client_id: 'a\u202eb' } }), 'mqtt · client a\\u202eb');
  });
});
