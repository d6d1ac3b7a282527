/**
 * Components in Crossbar's format. Python components (`class`, `function`) run in a Python process
 * of their worker (normalize-guests.ts; a container worker's functions are recorded only),
 * except the HTTP bridge classes Junction runs itself: Crossbar's MessageForwarder (topic events
 * -> HTTP requests) and RESTCallee (a procedure -> HTTP requests), whose settings sit in `extra`.
 * Junction adds `process` (a procedure served by running a program per call), `zeromq` (messages
 * from an app's ZeroMQ socket published) and `stdio` (a long-running program speaking JSON lines).
 */

import * as z from 'zod';
import { matchPolicies } from '../protocol/uri.js';
import {
  byteCount,
  httpHeaders,
  httpUrl,
  ignored,
  itemId,
  missingMessage,
  nonEmptyString,
  nonNegativeInt,
  plainUri,
  positiveInt,
  realmName,
  roleName,
  typeError,
} from './schema-parts.js';
import { validateNested } from './schema-problems.js';
import { resolvePermissionUri } from './uri-patterns.js';

/** Crossbar's class names (current, pre-2018 `adapter` package, and the short form) per bridge kind. */
export const bridgeClassnames = {
  forwarder: ['crossbar.bridge.rest.MessageForwarder', 'crossbar.adapter.rest.MessageForwarder', 'MessageForwarder'],
  'rest-callee': ['crossbar.bridge.rest.RESTCallee', 'crossbar.adapter.rest.RESTCallee', 'RESTCallee'],
} as const;

export type BridgeKind = keyof typeof bridgeClassnames;

export function bridgeKindOf(classname: string): BridgeKind | undefined {
  for (const [kind, names] of Object.entries(bridgeClassnames) as [BridgeKind, readonly string[]][]) {
    if (names.includes(classname)) return kind;
  }
  return undefined;
}

export const forwarderDefaults = {
  method: 'POST',
  timeoutMs: 10000,
  concurrencyPerUrl: 4,
  retry: { initialDelayMs: 1000, maxDelayMs: 60000, maxAttempts: 100 },
  outboxLimit: 100000,
  outboxLimitBytes: 1024 * 1024 * 1024,
};

const forwarderMethods = ['POST', 'PUT', 'PATCH', 'DELETE', 'GET'] as const;

const forwarderSubscription = z
  .strictObject({
    topic: z.string().describe('Topic or pattern; without "match", stars as in permissions ("news.*" = prefix "news.").'),
    url: httpUrl('a subscription url').describe('Where each event is sent (http:// or https://).'),
    match: z.enum(matchPolicies).optional().describe('Explicit match policy; the topic is then taken as written.'),
  })
  .superRefine((subscription, ctx) => {
    const resolved = resolvePermissionUri(subscription.topic, subscription.match);
    if (!resolved.ok) ctx.addIssue({ code: 'custom', message: resolved.problem, path: ['topic'] });
  });

export const forwarderExtra = z
  .strictObject({
    subscriptions: z
      .array(forwarderSubscription, { error: missingMessage('the topics to forward and their URLs') })
      .min(1, { error: 'needs at least one subscription' })
      .describe('Topic -> URL forwards.'),
    // The default sits before the transform, so the published JSON Schema shows it too.
    method: z
      .string()
      .default(forwarderDefaults.method)
      .transform((method) => method.toUpperCase())
      .pipe(z.enum(forwarderMethods, { error: `expected one of ${forwarderMethods.join(', ')}` }))
      .describe(`HTTP method of each request (default "${forwarderDefaults.method}").`),
    expectedcode: z
      .int({ error: 'expected an HTTP status code' })
      .min(100, { error: 'expected an HTTP status code from 100 to 599' })
      .max(599, { error: 'expected an HTTP status code from 100 to 599' })
      .optional()
      .describe('The status that means delivered (default: any 2xx).'),
    headers: httpHeaders,
    debug: ignored('Crossbar debug logging of forwarded responses (debug; use --log-level)'),
    signing_secret: nonEmptyString
      .optional()
      .describe('Junction extension: sign each body with HMAC-SHA256 in header X-Junction-Signature.'),
    timeout: positiveInt
      .max(600000, { error: 'expected at most 600000 ms' })
      .default(forwarderDefaults.timeoutMs)
      .describe(`Junction extension: ms one request may take before it counts as failed (default ${forwarderDefaults.timeoutMs}).`),
    concurrency_per_url: positiveInt
      .max(256, { error: 'expected at most 256' })
      .default(forwarderDefaults.concurrencyPerUrl)
      .describe(`Junction extension: requests in flight per URL (default ${forwarderDefaults.concurrencyPerUrl}).`),
    retry: z
      .strictObject({
        initial_delay: positiveInt.default(forwarderDefaults.retry.initialDelayMs).describe('ms before the first retry.'),
        max_delay: positiveInt.default(forwarderDefaults.retry.maxDelayMs).describe('Longest wait between tries, ms.'),
        max_attempts: positiveInt
          .max(1000, { error: 'expected at most 1000 attempts' })
          .default(forwarderDefaults.retry.maxAttempts)
          .describe('Tries before a message moves to the dead-letter list.'),
      })
      .superRefine((retry, ctx) => {
        if (retry.initial_delay > retry.max_delay) {
          ctx.addIssue({ code: 'custom', message: 'initial_delay must not exceed max_delay', path: ['initial_delay'], params: { code: 'config.conflict' } });
        }
      })
      .prefault({})
      .describe('Junction extension: exponential backoff with jitter.'),
    outbox_limit: positiveInt
      .max(10000000, { error: 'expected at most 10000000 messages' })
      .default(forwarderDefaults.outboxLimit)
      .describe(`Junction extension: undelivered messages kept before new ones are refused (default ${forwarderDefaults.outboxLimit}).`),
    outbox_limit_bytes: positiveInt
      .default(forwarderDefaults.outboxLimitBytes)
      .describe(`Junction extension: bytes the outbox may take on disk, undelivered messages and dead letters together; past it the oldest dead letters are dropped, then new events refused (default ${forwarderDefaults.outboxLimitBytes}).`),
  })
  .describe('MessageForwarder settings (Crossbar keys plus Junction extensions).');

export const restCalleeDefaults = { timeoutMs: 10000, maxResponseBytes: 1048576 };

export const restCalleeExtra = z
  .strictObject({
    procedure: plainUri('the procedure to register').describe('The procedure that performs the HTTP requests.'),
    baseurl: z
      .string({ error: missingMessage('the base URL every request is made below') })
      .refine((url) => url !== '', {
        error: 'an empty baseurl (any URL, in Crossbar) is not offered: give the base URL that requests stay below',
      })
      .pipe(httpUrl('baseurl', { allowQuery: false }))
      .describe('Every request URL is this joined with the caller\'s "url", and never leaves it.'),
    headers: httpHeaders,
    timeout: positiveInt
      .max(600000, { error: 'expected at most 600000 ms' })
      .default(restCalleeDefaults.timeoutMs)
      .describe(`Junction extension: per-request timeout in ms (default ${restCalleeDefaults.timeoutMs}).`),
    error_on_4xx: z.boolean().default(false).describe('Junction extension: answer a 4xx status with a WAMP error (default false).'),
    error_on_5xx: z.boolean().default(false).describe('Junction extension: answer a 5xx status with a WAMP error (default false).'),
    max_response_bytes: byteCount(64 * 1024 * 1024)
      .default(restCalleeDefaults.maxResponseBytes)
      .describe(`Junction extension: largest response body kept (default ${restCalleeDefaults.maxResponseBytes}).`),
    authenticator: z
      .boolean()
      .default(false)
      .describe('Junction extension: serve the procedure as a dynamic authenticator that POSTs each sign-in to baseurl (default false).'),
    debug: ignored('Crossbar debug logging (debug; use --log-level)'),
  })
  .describe('RESTCallee settings (Crossbar keys plus Junction extensions).');

export type ForwarderExtraFile = z.output<typeof forwarderExtra>;
export type RestCalleeExtraFile = z.output<typeof restCalleeExtra>;

const componentExtra = z.record(z.string(), z.unknown()).optional().describe('Free-form data handed to the component.');

/** A class component's output: Python ones keep `extra` as written, bridge ones get it validated. */
type ClassExtra =
  | { bridge?: undefined; extra: Record<string, unknown> }
  | { bridge: 'forwarder'; extra: ForwarderExtraFile }
  | { bridge: 'rest-callee'; extra: RestCalleeExtraFile };

/** Validates `extra` by the classname: a bridge class's extra has a schema of its own. */
function classExtra<T extends { classname: string; extra?: Record<string, unknown> | undefined }>(
  component: T,
  ctx: z.core.$RefinementCtx<T>,
): Omit<T, 'extra'> & ClassExtra {
  const kind = bridgeKindOf(component.classname);
  if (kind === undefined) return { ...component, extra: component.extra ?? {} };
  const schema = kind === 'forwarder' ? forwarderExtra : restCalleeExtra;
  const extra = validateNested(schema, component.extra ?? {}, ctx, ['extra']);
  if (extra === undefined) return z.NEVER;
  return { ...component, bridge: kind, extra } as Omit<T, 'extra'> & ClassExtra;
}

const classShape = {
  type: z.literal('class'),
  id: itemId.optional(),
  classname: nonEmptyString.describe(
    'Python class (an ApplicationSession run in its worker\'s Python process), or a bridge Junction runs: MessageForwarder or RESTCallee (also as crossbar.bridge.rest.<name>).',
  ),
  realm: realmName,
  extra: componentExtra,
};

export const processDefaults = { timeoutMs: 30000, concurrency: 4, queueLimit: 100, maxOutputBytes: 1048576 };

const commandParts = z
  .array(
    nonEmptyString.regex(/^[^\0]*$/, { error: 'must not contain NUL' }),
    {
      error: (issue) => {
        if (issue.input === undefined) return 'missing: the program to run and its arguments, e.g. ["/usr/bin/php", "handler.php"]';
        if (typeof issue.input === 'string') {
          return 'give the command as a list, e.g. ["/usr/bin/php", "handler.php"]: Junction starts the program directly, never through a shell';
        }
        return undefined;
      },
    },
  )
  .min(1, { error: 'needs at least the program to run' });

const programCwd = nonEmptyString.optional().describe('Working directory (relative paths: from the config file folder; default: that folder).');

const programEnv = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'an environment variable name has letters, digits and "_"' }),
    z.string({ error: 'an environment value is a string' }).regex(/^[^\0]*$/, { error: 'must not contain NUL' }),
  )
  .default({})
  .describe('Variables added to a minimal environment (PATH, HOME, LANG); the router\'s own environment is not passed on.');

export const processComponent = z
  .strictObject({
    type: z.literal('process'),
    id: itemId.optional(),
    realm: realmName,
    role: roleName.optional().describe("Role of the component's session (default: the router's trusted role)."),
    procedure: plainUri('the procedure this program serves').describe('The procedure each call of which runs the program.'),
    command: commandParts.describe('Program and its fixed arguments, as a list (no shell). Relative programs are found from cwd, bare names on PATH.'),
    cwd: programCwd,
    env: programEnv,
    timeout: positiveInt
      .max(3600000, { error: 'expected at most 3600000 ms' })
      .default(processDefaults.timeoutMs)
      .describe(`A run is killed after this many ms (default ${processDefaults.timeoutMs}).`),
    concurrency: positiveInt
      .max(256, { error: 'expected at most 256' })
      .default(processDefaults.concurrency)
      .describe(`Runs at once (default ${processDefaults.concurrency}).`),
    queue_limit: nonNegativeInt
      .max(100000, { error: 'expected at most 100000' })
      .default(processDefaults.queueLimit)
      .describe(`Calls waiting for a run before new calls are refused (default ${processDefaults.queueLimit}).`),
    max_output_bytes: byteCount(64 * 1024 * 1024)
      .default(processDefaults.maxOutputBytes)
      .describe(`Largest stdout kept; more fails the call (default ${processDefaults.maxOutputBytes}).`),
  })
  .describe('Junction extension: a procedure served by running a program per call (args and kwargs as JSON on stdin, the result from stdout).');

export const zeromqDefaults = { socket: 'pull' as const, maxMessageBytes: 1048576 };

/** A ZeroMQ endpoint as libzmq spells it: tcp://host:port, ipc://path or inproc://name. */
const zeromqEndpoint = z.string().regex(/^(tcp:\/\/[^\s]+:(\d+|\*)|ipc:\/\/[^\s]+|inproc:\/\/[^\s]+)$/, {
  error: 'expected a ZeroMQ endpoint such as "tcp://127.0.0.1:5555" or "ipc:///run/app/push.sock"',
});

export const zeromqComponent = z
  .strictObject({
    type: z.literal('zeromq'),
    id: itemId.optional(),
    realm: realmName,
    role: roleName.optional().describe("Role of the component's session, whose publish permissions apply (default: the router's trusted role)."),
    bind: zeromqEndpoint.optional().describe('Listen on this endpoint (the app connects its PUSH or PUB socket to it).'),
    connect: zeromqEndpoint.optional().describe("Connect to the app's bound PUSH or PUB socket instead."),
    socket: z.enum(['pull', 'sub']).default(zeromqDefaults.socket).describe(`The socket type (default "${zeromqDefaults.socket}"): "pull" for a PUSH sender, "sub" for a PUB sender.`),
    subscribe: z.array(z.string()).min(1, { error: 'needs at least one prefix ("" for every message)' }).optional()
      .describe('With socket "sub": the message prefixes to receive (default [""], every message).'),
    topic_field: nonEmptyString.optional()
      .describe('Publish any JSON object to the topic named by this field, the whole object as args[0] (default: the body is {topic, args, kwargs, options}).'),
    max_message_bytes: byteCount(64 * 1024 * 1024).default(zeromqDefaults.maxMessageBytes)
      .describe(`Larger messages are refused by ZeroMQ itself, which drops the sender's connection (default ${zeromqDefaults.maxMessageBytes}).`),
  })
  .superRefine((component, ctx) => {
    if ((component.bind === undefined) === (component.connect === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of "bind" and "connect"', path: [component.bind === undefined ? 'bind' : 'connect'], params: { code: 'config.conflict' } });
    }
    if (component.subscribe !== undefined && component.socket !== 'sub') {
      ctx.addIssue({ code: 'custom', message: '"subscribe" applies to socket "sub" only', path: ['subscribe'], params: { code: 'config.conflict' } });
    }
  })
  .describe('Junction extension: publishes each message an app sends to a ZeroMQ PUSH or PUB socket.');

export const stdioDefaults = { maxLineBytes: 65536, queueLimit: 1000, restart: { initialDelayMs: 500, maxDelayMs: 30000 } };

export const stdioComponent = z
  .strictObject({
    type: z.literal('stdio'),
    id: itemId.optional(),
    realm: realmName,
    role: roleName.optional().describe("Role of the program's session, whose permissions apply (default: the router's trusted role)."),
    command: commandParts.describe('Program and its fixed arguments, as a list (no shell). Relative programs are found from cwd, bare names on PATH.'),
    cwd: programCwd,
    env: programEnv,
    max_line_bytes: byteCount(16 * 1024 * 1024).default(stdioDefaults.maxLineBytes)
      .describe(`Longest JSON line either way; a longer stdout line is refused, a longer message is not written to stdin (default ${stdioDefaults.maxLineBytes}).`),
    queue_limit: positiveInt.max(1000000, { error: 'expected at most 1000000' }).default(stdioDefaults.queueLimit)
      .describe(`Lines waiting to be written to stdin while the program does not read; past this, events are dropped and calls fail (default ${stdioDefaults.queueLimit}).`),
    restart: z
      .strictObject({
        initial_delay: positiveInt.default(stdioDefaults.restart.initialDelayMs).describe('ms before the first restart.'),
        max_delay: positiveInt.default(stdioDefaults.restart.maxDelayMs).describe('Longest wait between restarts, ms.'),
      })
      .superRefine((restart, ctx) => {
        if (restart.initial_delay > restart.max_delay) {
          ctx.addIssue({ code: 'custom', message: 'initial_delay must not exceed max_delay', path: ['initial_delay'], params: { code: 'config.conflict' } });
        }
      })
      .prefault({})
      .describe('After the program exits it is started again, waiting longer each time it exits soon after starting.'),
  })
  .describe('Junction extension: a long-running program that speaks WAMP as JSON lines on stdin/stdout.');

/** A Python function, "module.function". */
const functionReference = nonEmptyString.regex(/^[^.].*\.[^.]+$/, { error: 'expected "module.function"' });

/** A router worker's function component: Python functions called on its session's events (Crossbar's callbacks). */
const functionCallbacks = z
  .strictObject({ join: functionReference.optional(), leave: functionReference.optional(), connect: functionReference.optional(), disconnect: functionReference.optional() })
  .default({})
  .describe('Python functions called on the session\'s events (join, leave, connect, disconnect), each "module.function".');

export const routerClassComponent = z
  .strictObject({
    ...classShape,
    role: roleName.optional(),
    references: ignored('component references (references)'),
  })
  .transform(classExtra);

export const routerComponent = z.discriminatedUnion(
  'type',
  [
    routerClassComponent,
    z.strictObject({
      type: z.literal('function'),
      id: itemId.optional(),
      realm: realmName,
      role: roleName.optional(),
      callbacks: functionCallbacks,
      extra: componentExtra,
    }),
    processComponent,
    zeromqComponent,
    stdioComponent,
  ],
  { error: typeError('component', ['class', 'function', 'process', 'zeromq', 'stdio'], () => undefined) },
);

/** How a container component reaches the router: a Crossbar connecting transport, not checked further. */
const connectingTransport = z.record(z.string(), z.unknown());

export const containerClassComponent = z.strictObject({ ...classShape, transport: connectingTransport }).transform(classExtra);

export const containerComponent = z.discriminatedUnion(
  'type',
  [
    containerClassComponent,
    z.strictObject({
      type: z.literal('function'),
      id: itemId.optional(),
      realm: realmName,
      transport: connectingTransport,
      auth: ignored('Python function component authentication (auth)'),
      callbacks: ignored('Python callbacks (callbacks)'),
      extra: componentExtra,
    }),
  ],
  { error: typeError('component', ['class', 'function'], () => undefined) },
);

export type RouterComponentFile = z.output<typeof routerComponent>;
export type ContainerComponentFile = z.output<typeof containerComponent>;
export type ProcessComponentFile = z.output<typeof processComponent>;
export type ZeromqComponentFile = z.output<typeof zeromqComponent>;
export type StdioComponentFile = z.output<typeof stdioComponent>;
