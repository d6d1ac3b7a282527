import { readFileSync } from 'node:fs';

/**
 * A V8 heap snapshot (.heapsnapshot JSON) as the bench's heap tools read it: its flat node and
 * edge arrays, its strings, and where each field sits in a node's or an edge's run of numbers.
 */
export function readHeapSnapshot(file) {
  const snapshot = JSON.parse(readFileSync(file, 'utf8'));
  const meta = snapshot.snapshot.meta;
  const edgeTypes = meta.edge_types[0];
  return {
    nodes: snapshot.nodes,
    edges: snapshot.edges,
    strings: snapshot.strings,
    nodeWidth: meta.node_fields.length,
    edgeWidth: meta.edge_fields.length,
    nodeTypes: meta.node_types[0],
    edgeTypes,
    TYPE: meta.node_fields.indexOf('type'),
    NAME: meta.node_fields.indexOf('name'),
    SIZE: meta.node_fields.indexOf('self_size'),
    EDGES: meta.node_fields.indexOf('edge_count'),
    EDGE_TYPE: meta.edge_fields.indexOf('type'),
    EDGE_NAME: meta.edge_fields.indexOf('name_or_index'),
    EDGE_TO: meta.edge_fields.indexOf('to_node'),
    WEAK: edgeTypes.indexOf('weak'),
    SHORTCUT: edgeTypes.indexOf('shortcut'),
  };
}

/** `--name N` from a command line as a number, or `fallback`. */
export function numberOption(args, name, fallback) {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : fallback;
}
