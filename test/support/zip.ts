import { execFileSync } from 'node:child_process';
import { debianNeed, skipWithoutDebian } from './debian.js';

/** One file of a test archive; `stored`: not compressed. */
export interface ZipEntrySpec {
  name: string;
  data: string | Buffer;
  stored?: boolean;
}

// Python's zipfile writes names exactly as given ("../x", "/abs", twice the same), which a test of a hostile archive needs.
const writer = `
import base64, json, sys, warnings, zipfile
warnings.simplefilter('ignore')
spec = json.load(sys.stdin)
with zipfile.ZipFile(spec['path'], 'w') as archive:
    for entry in spec['entries']:
        info = zipfile.ZipInfo(entry['name'], date_time=(2024, 1, 2, 3, 4, 6))
        info.compress_type = zipfile.ZIP_STORED if entry['stored'] else zipfile.ZIP_DEFLATED
        archive.writestr(info, base64.b64decode(entry['data']))
`;

/** For the `skip` option of a suite that writes archives. */
export const zipWriterMissing = (): string | false => skipWithoutDebian('python3');

/** Writes a ZIP archive at `path` with python3's zipfile module. */
export function writeZip(path: string, entries: readonly ZipEntrySpec[]): void {
  const spec = { path, entries: entries.map((entry) => ({ name: entry.name, stored: entry.stored ?? false, data: Buffer.from(entry.data).toString('base64') })) };
  execFileSync(debianNeed('python3').file, ['-c', writer], { input: JSON.stringify(spec) });
}
