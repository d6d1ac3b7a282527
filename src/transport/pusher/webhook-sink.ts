/** What a Pusher app reports to its webhooks, and where those reports go. */

/** What a webhook reports (Pusher's event names and fields). */
export type WebhookEvent =
  | { name: 'channel_occupied' | 'channel_vacated'; channel: string }
  | { name: 'member_added' | 'member_removed'; channel: string; user_id: string }
  | { name: 'client_event'; channel: string; event: string; data: string; socket_id: string; user_id?: string };

/** Where an app's webhook events go (the node's durable webhook queue). */
export interface WebhookSink {
  emit(event: WebhookEvent): void;
}
