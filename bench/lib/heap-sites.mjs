/**
 * Allocation sites of a V8 sampling heap profile (.heapprofile): bytes per call stack cut to its
 * innermost `depth` frames ("function file:line < caller file:line ..."), biggest first.
 */
export function allocationSites(profile, depth = 1) {
  const sites = new Map();
  let total = 0;
  const walk = (node, callers) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const stack = [`${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`, ...callers];
    if (node.selfSize > 0) {
      const key = stack.slice(0, depth).join(' < ');
      sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    // Only the innermost `depth` frames are ever used: the stack passed down stays that short.
    for (const child of node.children) walk(child, stack.slice(0, depth));
  };
  walk(profile.head, []);
  return { total, sites: [...sites].map(([site, bytes]) => ({ site, bytes })).sort((a, b) => b.bytes - a.bytes) };
}
