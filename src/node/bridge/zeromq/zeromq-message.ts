import type { Dict } from '../../../protocol/messages.js';
import { uriProblem, type UriRules } from '../../../protocol/uri.js';
import { describe, parseJsonObject, readArgs, readKwargs, readOptions, readUri } from '../../web/http-bridge/json-request.js';
import { publishOptionNames, readPublishOptions } from '../../web/http-bridge/publish-options.js';

/** What one ZeroMQ message publishes. */
export interface ZeromqPublication {
  topic: string;
  args: unknown[];
  kwargs?: Dict;
  options: Dict;
}

/**
 * Reads one ZeroMQ message: its last frame is the JSON body (a SUB socket's envelope frames
 * before it are not read). Without `topicField`, the body is the HTTP publisher's
 * {topic, args, kwargs, options}, checked the same way; with it, any JSON object, published
 * whole as args[0] to the topic its `topicField` names (a Ratchet pusher's {"form": ..., ...}).
 * A body nesting deeper than `maxNestingDepth` (the router's, the body being one level) is
 * refused as every door refuses it. Throws an Error saying what is wrong.
 */
export function readZeromqMessage(frames: readonly Buffer[], topicField: string | undefined, rules: UriRules, maxNestingDepth: number): ZeromqPublication {
  const body = frames[frames.length - 1];
  if (body === undefined) throw new Error('the message has no frames');
  if (topicField === undefined) {
    const fields = parseJsonObject(body, ['topic', 'args', 'kwargs', 'options'], maxNestingDepth);
    const kwargs = readKwargs(fields);
    return {
      topic: readUri(fields, 'topic', rules),
      args: readArgs(fields),
      ...(Object.keys(kwargs).length > 0 ? { kwargs } : {}),
      options: readPublishOptions(readOptions(fields, publishOptionNames)),
    };
  }
  const object = parseJsonObject(body, undefined, maxNestingDepth);
  const topic = object[topicField];
  if (typeof topic !== 'string') {
    throw new Error(`the topic field "${topicField}" must be a string, not ${topic === undefined ? 'missing' : describe(topic)}`);
  }
  const problem = uriProblem(topic, rules);
  if (problem) throw new Error(`the topic field "${topicField}": ${problem.length > 200 ? `${problem.slice(0, 200)}...` : problem}`);
  return { topic, args: [object], options: {} };
}
