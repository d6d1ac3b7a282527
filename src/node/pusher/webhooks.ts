import { join } from 'node:path';
import { forwarderDefaults } from '../../config/schema-components.js';
import type { PusherAppConfig, PusherWebhookEventName } from '../../config/model.js';
import type { Logger } from '../../router/log.js';
import { hmacHex } from '../../transport/pusher/signatures.js';
import type { WebhookEvent, WebhookSink } from '../../transport/pusher/webhook-sink.js';
import { HttpSender } from '../bridge/forwarder/delivery.js';
import type { Outbox } from '../bridge/forwarder/outbox.js';
import type { OutboxLock } from '../bridge/forwarder/outbox-lock.js';
import { DeliveryQueues } from '../bridge/forwarder/queues.js';
import { forwarderMetrics, openLockedOutbox } from '../bridge/forwarder/forwarder.js';
import type { NodeContext } from '../web/service-context.js';

/** The body of one webhook request: Pusher's batch. */
interface WebhookBatch {
  time_ms: number;
  events: WebhookEvent[];
}

/** At stop, requests in flight get this long to finish. */
const STOP_GRACE_MS = 5_000;

/**
 * One app's webhooks, delivered through the forwarder's machinery: each batch is written to a
 * durable outbox (LMDB under <dataDir>/pusher/<transport>/<app>) before it is sent, retried with
 * backoff until the app's endpoint answers 2xx, in order per URL, kept as a dead letter when it
 * never does, and resumed after a restart. Events of one turn of the event loop go in one batch
 * (a disconnect's member_removed and channel_vacated arrive together), as Pusher batches them.
 */
export class PusherWebhooks implements WebhookSink {
  private readonly targets: { url: string; events: ReadonlySet<PusherWebhookEventName>; waiting: WebhookEvent[] }[];
  private flushScheduled = false;
  private sequence = 0;

  private constructor(
    private readonly app: PusherAppConfig,
    private readonly queues: DeliveryQueues,
    private readonly outbox: Outbox,
    private readonly sender: HttpSender,
    private readonly lock: OutboxLock,
  ) {
    this.targets = app.webhooks.map((webhook) => ({ url: webhook.url, events: new Set(webhook.events), waiting: [] }));
  }

  /** Opens the outbox (locked against a second node) and resumes what it held. */
  static open(app: PusherAppConfig, transportId: string, node: NodeContext, log: Logger): PusherWebhooks {
    const directory = join(node.dataDir, 'pusher', transportId, app.id);
    const metrics = forwarderMetrics(node.metrics, `pusher:${app.id}`);
    const { outbox, lock } = openLockedOutbox(directory, `pusher app "${app.id}" webhooks`, log, metrics.outboxBytes.set);
    const sender = new HttpSender({ method: 'POST', timeoutMs: forwarderDefaults.timeoutMs, connectionsPerOrigin: forwarderDefaults.concurrencyPerUrl });
    const queues = new DeliveryQueues(
      {
        headers: { 'x-pusher-key': app.key },
        bodyHeaders: (body) => ({ 'x-pusher-signature': hmacHex(app.secret, body) }),
        retry: forwarderDefaults.retry,
        outboxLimit: forwarderDefaults.outboxLimit,
        outboxLimitBytes: forwarderDefaults.outboxLimitBytes,
        concurrencyPerUrl: forwarderDefaults.concurrencyPerUrl,
      },
      {
        outbox, sender, log,
        metrics,
      },
    );
    const resumed = queues.resume();
    if (resumed > 0) log.info({ app: app.id, resumed }, 'Pusher webhooks resumed from the outbox');
    return new PusherWebhooks(app, queues, outbox, sender, lock);
  }

  emit(event: WebhookEvent): void {
    let any = false;
    for (const target of this.targets) {
      if (!target.events.has(event.name)) continue;
      target.waiting.push(event);
      any = true;
    }
    if (!any || this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  async stop(): Promise<void> {
    this.flush();
    await this.queues.stop(STOP_GRACE_MS);
    await this.sender.close();
    await this.outbox.close();
    this.lock.release();
  }

  private flush(): void {
    this.flushScheduled = false;
    const time_ms = Date.now();
    for (const target of this.targets) {
      if (target.waiting.length === 0) continue;
      const batch: WebhookBatch = { time_ms, events: target.waiting };
      target.waiting = [];
      // One queue per (url, app): batches reach each URL in the order they happened.
      this.queues.accept({ url: target.url, topic: `pusher:${this.app.id}`, publication: ++this.sequence, body: JSON.stringify(batch) });
    }
  }
}
