/** The HTTP bridge path services: REST apps publish, call and send webhooks with plain HTTP. */
export { httpCaller } from './caller.js';
export { httpPublisher } from './publisher.js';
export { httpWebhook } from './webhook.js';
