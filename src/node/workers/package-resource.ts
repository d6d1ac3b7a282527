/**
 * The folder a static path's `package` and `resource` name, found as Crossbar finds it
 * (webservice/static.py): the package imported by the router worker's Python with its pythonpath,
 * then the resource taken below the package's own folder, whether or not it exists yet (a missing
 * folder is then served as a missing `directory` is: 404 until it exists). Found once, when the
 * path starts (and again at each reload that rebuilds it).
 */

import { execFile } from 'node:child_process';
import type { PackageResource } from '../../config/model.js';
import { guestEnvironment } from './guest-launch.js';
import { findPython, routerPythonOption } from './python-container.js';
import { workerPythonGuest } from '../../config/normalize-guests.js';

/** How long importing the package may take (a cold start on a loaded machine). */
const findTimeoutMs = 30_000;

/**
 * Run with `python -c`, argv: package, resource, pythonpath as JSON. Prints the folder; on failure
 * one line on stderr and exit 3. A package's folder is its __file__'s; a namespace package's, its
 * first __path__ entry, as pkg_resources takes it. A package that is not a folder on disk (inside
 * a zip) cannot be served.
 */
const finder = `
import importlib, json, os, sys
name, resource, pythonpath = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path[0:0] = pythonpath
try:
    module = importlib.import_module(name)
except Exception as error:
    sys.stderr.write('import failed: %s: %s (Python search path: %s)\\n' % (type(error).__name__, error, sys.path))
    sys.exit(3)
file = getattr(module, '__file__', None)
folders = [os.path.dirname(file)] if file else list(getattr(module, '__path__', []))
if not folders or not os.path.isdir(folders[0]):
    sys.stderr.write('the package is not a folder on disk (%s), so its files cannot be served\\n' % (file or 'no __file__'))
    sys.exit(3)
sys.stdout.write(os.path.abspath(os.path.join(folders[0], *resource.split('/'))))
`;

/** The absolute folder, or why it cannot be found. */
export async function packageResourceFolder(source: PackageResource, id: string): Promise<string | { reason: string }> {
  const python = source.python;
  const guest = workerPythonGuest(id, python);
  const interpreter = await findPython(guest, python.interpreterGiven, { install: 'python3', option: routerPythonOption });
  if (typeof interpreter !== 'string') return { reason: interpreter.reason };
  return new Promise((resolve) => {
    execFile(interpreter, ['-c', finder, source.package, source.resource, JSON.stringify(python.pythonpath)],
      { cwd: python.workdir, env: guestEnvironment(python.env), timeout: findTimeoutMs, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null && stdout !== '') return resolve(stdout);
        const lastLine = stderr.trim().split('\n').at(-1);
        resolve({ reason: `${interpreter}: ${lastLine !== undefined && lastLine !== '' ? lastLine : error?.message ?? 'no folder printed'}` });
      });
  });
}
