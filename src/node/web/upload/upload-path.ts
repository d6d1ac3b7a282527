import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { UploadService } from '../../../config/model.js';
import type { BoundCounter } from '../../../metrics/registry.js';
import type { Dict } from '../../../protocol/messages.js';
import { plural } from '../../../protocol/plural.js';
import { InternalCallError } from '../../../router/internal-session.js';
import { DISCARD_LIMIT, discardRest } from '../../../transport/http-body.js';
import { UnsupportedConfigError } from '../../auth-wiring.js';
import { BridgeSession } from '../http-bridge/bridge-session.js';
import { realmUriRules } from '../http-bridge/bridge-service.js';
import { Refusal, sendBridgeJson } from '../http-bridge/refusal.js';
import type { PathHandler } from '../listener.js';
import type { PathServiceFactory, ServiceContext } from '../service-context.js';
import { checkFileName, readChunkFields, UploadRefusal, wholeNumber, type ChunkFields } from './chunk-fields.js';
import { chunkFormLimits, FormAborted, readChunkForm } from './chunk-form.js';
import { UploadStore, type Upload } from './upload-store.js';

/** How long the router may take to acknowledge a progress event past a dynamic authorizer's time. */
const acknowledgeMarginMs = 5_000;

/** A progress event's payload, as Crossbar publishes it (its only positional argument). */
type ProgressStatus = 'started' | 'progress' | 'finished';

/** `received`: the bytes of the file stored so far. */
function progressEvent(upload: Upload, chunk: ChunkFields, status: ProgressStatus, received: number): Dict {
  const event: Dict = {
    id: upload.fileName,
    chunk: chunk.chunkNumber,
    name: upload.fileName,
    total: upload.totalSize,
    remaining: upload.totalSize - received,
    status,
    progress: upload.totalSize === 0 ? (received === 0 && status === 'started' ? 0 : 1) : Math.round((received / upload.totalSize) * 1000) / 1000,
    chunk_extra: chunk.chunkExtra,
  };
  if (status === 'finished') event.finish_extra = chunk.finishExtra;
  return event;
}

/** The temporary folder of a path that names none: its own, in the node's data folder. */
function defaultTempDirectory(context: ServiceContext): string {
  return join(context.dataDir, 'upload-temp', context.listener.id, ...context.path.split('/').filter((segment) => segment !== ''));
}

/**
 * Crossbar's `upload` path service: resumable.js chunk uploads. POST (multipart/form-data) stores
 * one chunk; when all are in, the file is put together and moved into `directory`. GET with the
 * file name and chunk number answers 200 when that chunk is stored, 404 when not (resumable.js's
 * test before it sends a chunk). Progress events go to the topic the first chunk names, published
 * as the service's role, so the role's permissions decide whether a client may name it.
 */
export const uploadPath: PathServiceFactory<UploadService> = async (service, context) => {
  const rules = realmUriRules(context, service.realm);
  const labels = { transport: context.listener.id, path: context.path };
  const uploadsGauge = context.metrics.gauge('junction_upload_uploads', 'Unfinished uploads of an upload path').bind(labels);
  const tempBytesGauge = context.metrics.gauge('junction_upload_temp_bytes', 'Bytes of unfinished uploads an upload path keeps in its temporary folder').bind(labels);
  const abandoned = context.metrics.counter('junction_upload_abandoned_total', 'Unfinished uploads removed after upload_timeout without a chunk').bind(labels);
  const eventsFailed = context.metrics.counter('junction_upload_events_failed_total', 'Progress events of an upload the router refused or did not acknowledge').bind(labels);
  const requests = context.metrics.counter('junction_upload_requests_total', 'Upload path requests by outcome ("stored", "finished", "present", "absent", or why not)');
  const counters = new Map<string, BoundCounter>();
  const count = (outcome: string): void => {
    let counter = counters.get(outcome);
    if (!counter) counters.set(outcome, (counter = requests.bind({ ...labels, outcome })));
    counter.inc();
  };
  const log = context.log.child({ service: 'upload' });

  const store = new UploadStore({
    directory: service.directory,
    tempDirectory: service.tempDirectory ?? defaultTempDirectory(context),
    fileMode: service.fileMode,
    maxUploads: service.maxUploads,
    maxTempBytes: service.maxTempBytes,
    maxChunkSize: service.maxChunkSize,
    uploadTimeoutMs: service.uploadTimeoutMs,
    log,
    changed: (uploads, tempBytes) => {
      uploadsGauge.set(uploads);
      tempBytesGauge.set(tempBytes);
    },
    abandoned: (fileName) => {
      abandoned.inc();
      log.info({ file: fileName }, 'removed an upload that had no chunk for upload_timeout');
    },
  });
  try {
    await store.start();
  } catch (error) {
    throw new UnsupportedConfigError(`${context.where}: ${(error as Error).message}`);
  }
  const bridge = new BridgeSession(() => context.joinBridgeSession(service.realm, service.role, 'http-upload'),
    () => context.state() === 'stopping', service.realm, context.log);
  await bridge.start(context.where);
  const acknowledgeWithinMs = context.config.signIn.dynamicTimeoutMs + acknowledgeMarginMs;
  // A chunk's bytes plus its text fields and part headers: a longer body is refused before it is read.
  const maxFormBytes = service.maxChunkSize + chunkFormLimits.fields * chunkFormLimits.fieldBytes + chunkFormLimits.parts * 1024;
  let inFlight = 0;

  /** Publishes one progress event and waits for the router's acknowledgement (or its refusal). */
  async function publish(upload: Upload, chunk: ChunkFields, status: ProgressStatus, received: number): Promise<void> {
    if (upload.progressTopic === undefined) return;
    const session = await bridge.get().catch((error: unknown) => {
      throw error instanceof Refusal ? new UploadRefusal(error.status, error.code, error.message) : error;
    });
    const options: Dict = upload.session === undefined ? {} : { eligible: [upload.session] };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UploadRefusal(504, 'no_answer', 'the router did not acknowledge the progress event')), acknowledgeWithinMs);
    });
    try {
      await Promise.race([session.publishAcknowledgedNowOrLater(upload.progressTopic, [progressEvent(upload, chunk, status, received)], undefined, options), late]);
    } catch (error) {
      if (error instanceof InternalCallError) {
        const reason = typeof error.args[0] === 'string' ? error.args[0] : error.uri;
        throw new UploadRefusal(403, 'event_refused', `the progress event on ${JSON.stringify(upload.progressTopic)} was refused: ${reason}`);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Events after the first: the chunk is stored whatever becomes of them, so a failure is logged and counted, not answered. */
  async function publishAfterStoring(upload: Upload, chunk: ChunkFields, status: ProgressStatus, received: number): Promise<void> {
    try {
      await publish(upload, chunk, status, received);
    } catch (error) {
      eventsFailed.inc();
      log.warn({ file: upload.fileName, status, err: (error as Error).message }, 'a progress event of an upload was not published');
    }
  }

  async function receiveChunk(request: IncomingMessage): Promise<{ outcome: string; body: Dict }> {
    const declared = Number(request.headers['content-length']);
    if (declared > maxFormBytes) {
      throw new UploadRefusal(413, 'chunk_too_large', `the request's ${declared} bytes are more than a chunk may have here (max_chunk_size ${service.maxChunkSize} bytes, plus its form)`);
    }
    const form = readChunkForm(request, service.formFields.content, service.maxChunkSize);
    try {
      const { fields, bytes } = await form.content;
      const chunk = readChunkFields(fields, service, rules, context.config.maxNestingDepth);
      const { upload, isNew } = await store.begin(chunk);
      try {
        // As Crossbar: "started" before the first chunk is kept. Its refusal refuses the upload.
        if (isNew) await publish(upload, chunk, 'started', 0);
        await store.writeChunk(upload, chunk.chunkNumber, bytes);
        await form.done;
      } catch (error) {
        if (isNew) await store.forgetIfEmpty(upload);
        throw error;
      }
      const claimed = await store.claimFinished(upload);
      if (upload.totalChunks > 1 && upload.progressTopic !== undefined) {
        await publishAfterStoring(upload, chunk, 'progress', claimed === undefined ? await store.storedBytes(upload) : upload.totalSize);
      }
      if (claimed === undefined) return { outcome: 'stored', body: { chunk: chunk.chunkNumber, status: 'stored' } };
      await store.finish(upload, claimed);
      await publishAfterStoring(upload, chunk, 'finished', upload.totalSize);
      log.info({ file: upload.fileName, bytes: upload.totalSize }, 'upload finished');
      return { outcome: 'finished', body: { chunk: chunk.chunkNumber, status: 'finished' } };
    } catch (error) {
      form.abandon(error as Error);
      throw error;
    }
  }

  /** The resumable.js test: is this chunk of this file stored? */
  async function testChunk(request: IncomingMessage): Promise<{ status: number; outcome: string; body: Dict }> {
    const query = new URL(request.url ?? '/', 'http://upload.invalid').searchParams;
    const names = service.formFields;
    const fileName = query.get(names.fileName);
    const chunkText = query.get(names.chunkNumber);
    if (fileName === null || chunkText === null) {
      throw new UploadRefusal(400, 'missing_field', `a chunk test names the file in "${names.fileName}" and the chunk in "${names.chunkNumber}"`);
    }
    const chunkNumber = wholeNumber(chunkText, 1);
    if (chunkNumber === undefined) {
      throw new UploadRefusal(400, 'invalid_field', `the "${names.chunkNumber}" parameter must be an integer >= 1`);
    }
    // The same name rules as a chunk's: a test never looks outside the temporary folder.
    if (await store.has(checkFileName(fileName), chunkNumber)) return { status: 200, outcome: 'present', body: { chunk: chunkNumber, status: 'present' } };
    return { status: 404, outcome: 'absent', body: { chunk: chunkNumber, status: 'absent' } };
  }

  function refuse(request: IncomingMessage, response: ServerResponse, error: unknown): void {
    if (error instanceof FormAborted || response.destroyed) {
      count('client_gone');
      return;
    }
    const client = context.clientAddress(request).label;
    if (error instanceof UploadRefusal) {
      log.warn({ client, reason: error.code, status: error.status, message: error.message }, 'upload request refused');
      count(error.code);
      // The rest of a refused body is read and dropped, up to a bound, so the client reads the answer.
      if (!request.complete) {
        response.setHeader('connection', 'close');
        discardRest(request, 0, DISCARD_LIMIT);
      }
      sendBridgeJson(response, error.status, { error: error.code, message: error.message }, error.headers);
      return;
    }
    log.error({ client, err: (error as Error).message }, 'upload request failed');
    count('internal_error');
    if (!request.complete) response.setHeader('connection', 'close');
    sendBridgeJson(response, 500, { error: 'internal_error', message: 'the upload could not be stored' });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'POST' && request.method !== 'GET') {
      response.setHeader('allow', 'GET, POST');
      return refuse(request, response, new UploadRefusal(405, 'method_not_allowed', `${request.method} is not allowed here; POST a chunk, or GET to test for one`));
    }
    if (inFlight >= service.maxRequestsInFlight) {
      return refuse(request, response, new UploadRefusal(503, 'too_many_requests',
        `this path is handling ${plural(service.maxRequestsInFlight, 'request')} already (max_requests_in_flight); try again shortly`, { 'retry-after': '1' }));
    }
    inFlight++;
    try {
      if (request.method === 'GET') {
        const tested = await testChunk(request);
        count(tested.outcome);
        return sendBridgeJson(response, tested.status, tested.body);
      }
      const stored = await receiveChunk(request);
      count(stored.outcome);
      sendBridgeJson(response, 200, stored.body);
    } catch (error) {
      refuse(request, response, error);
    } finally {
      inFlight--;
    }
  }

  const handler: PathHandler = {
    request: (request, response) => void handle(request, response),
    close: async () => {
      store.close();
      await bridge.close();
    },
  };
  return handler;
};
