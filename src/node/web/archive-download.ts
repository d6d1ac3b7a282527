import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, interceptors, request } from 'undici';

/** How long the origin may take to answer, and at most between two pieces of the archive. */
const originTimeoutMs = 30_000;
const maxRedirections = 5;

/**
 * Downloads `origin` into `destination` (replacing a file left there), following redirects as Crossbar's HTTP
 * client does (GitHub's archive links redirect). Anything but a 200 whose body stays within
 * `maxBytes` throws, and leaves no file behind.
 */
export async function downloadArchive(origin: string, destination: string, maxBytes: number): Promise<void> {
  const dispatcher = new Agent({ headersTimeout: originTimeoutMs, bodyTimeout: originTimeoutMs }).compose(interceptors.redirect({ maxRedirections }));
  try {
    const answer = await request(origin, { dispatcher });
    if (answer.statusCode !== 200) {
      await answer.body.dump();
      throw new Error(`the origin answered HTTP ${answer.statusCode}`);
    }
    const declared = Number(answer.headers['content-length']);
    if (declared > maxBytes) {
      await answer.body.dump();
      throw new Error(`the origin announced ${declared} bytes, more than the ${maxBytes} allowed`);
    }
    await pipeline(answer.body, byteLimit(maxBytes), createWriteStream(destination));
  } catch (error) {
    await rm(destination, { force: true });
    throw error;
  } finally {
    await dispatcher.close();
  }
}

function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > maxBytes ? new Error(`the origin sent more than the ${maxBytes} bytes allowed`) : null, chunk);
    },
  });
}

/** The SHA-256 of the file open at `fd`, from its start, in lower-case hex as Crossbar's `hashes` list it; the descriptor stays open. */
export async function sha256OfFd(fd: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream('', { fd, start: 0, autoClose: false })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
