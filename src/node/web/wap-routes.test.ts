import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WapRoute } from '../../config/model.js';
import { WapRoutes } from './wap-routes.js';

const routes: WapRoute[] = [
  { path: '/', method: 'GET', call: undefined, render: 'home.html' },
  { path: '/greeting/<name>', method: 'GET', call: 'com.example.greeting', render: 'greeting.html' },
  { path: '/product/<int:product_id>/<report>', method: 'GET', call: 'com.example.report', render: 'report.html' },
  { path: '/orders', method: 'POST', call: 'com.example.order', render: 'order.html' },
];

describe('the routes of a wap path', () => {
  const table = new WapRoutes(routes);

  it('the path itself is the route "/"; variables become the call\'s keyword arguments', () => {
    assert.deepEqual(table.match('GET', ''), { kind: 'found', route: routes[0], kwargs: {} });
    assert.deepEqual(table.match('GET', '/product/7/total'), { kind: 'found', route: routes[2], kwargs: { product_id: 7, report: 'total' } });
  });

  it('a variable is given percent-decoded; a malformed escape as sent', () => {
    assert.deepEqual(table.match('GET', '/greeting/J%C3%BCrgen%20B'), { kind: 'found', route: routes[1], kwargs: { name: 'Jürgen B' } });
    assert.deepEqual(table.match('GET', '/greeting/100%'), { kind: 'found', route: routes[1], kwargs: { name: '100%' } });
  });

  it('no route: not found; a route of another method: which methods it has', () => {
    assert.deepEqual(table.match('GET', '/nothing'), { kind: 'not_found' });
    assert.deepEqual(table.match('GET', '/product/x/total'), { kind: 'not_found' });
    assert.deepEqual(table.match('GET', '/orders'), { kind: 'method_not_allowed', allowed: ['POST'] });
    assert.deepEqual(table.match('POST', '/orders').kind, 'found');
  });
});
