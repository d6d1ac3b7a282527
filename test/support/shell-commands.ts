/**
 * The simple commands of a documentation shell block, as a shell would split them into words,
 * far enough to check the `junction` and `curl` command lines the docs show (nothing is run).
 */

/** One simple command: its words, quotes removed, with the block's `NAME=value` variables put in. */
export type ShellCommand = string[];

/**
 * The commands of a shell text: split at newlines, `;`, `&`, `|`, `&&` and `||`; comments,
 * redirections (with their target) and leading `NAME=value` words dropped; `$(...)` kept as one
 * word. A block written as a session (`$ ` before each command) is read from those lines only.
 */
export function shellCommands(text: string): ShellCommand[] {
  const lines = text.split('\n');
  const prompted = lines.filter((line) => line.startsWith('$ '));
  const source = prompted.length > 0 ? prompted.map((line) => line.slice(2)).join('\n') : text;
  const variables = new Map<string, string>();
  const commands: ShellCommand[] = [];
  for (const words of splitCommands(source)) {
    let first = 0;
    while (first < words.length && /^[A-Za-z_]\w*=/.test(words[first]!)) first++;
    if (first === words.length) {
      for (const word of words) variables.set(word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1));
      continue;
    }
    commands.push(words.slice(first).map((word) => word.replace(/\$(\w+)|\$\{(\w+)\}/g, (whole, a?: string, b?: string) => variables.get((a ?? b)!) ?? whole)));
  }
  return commands;
}

/** Words of each command, before variables are put in. */
function splitCommands(text: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  let dropNext = false;
  const endWord = (): void => {
    if (word !== undefined && !dropNext) words.push(word);
    else if (word !== undefined) dropNext = false;
    word = undefined;
  };
  const endCommand = (): void => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
    dropNext = false;
  };
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\' && text[index + 1] === '\n') {
      index++;
    } else if (char === '\\') {
      word = (word ?? '') + (text[++index] ?? '');
    } else if (char === "'") {
      // An unclosed quote (a prose span such as `it's`) runs to the end, as the shell would wait for it.
      const end = text.includes("'", index + 1) ? text.indexOf("'", index + 1) : text.length;
      word = (word ?? '') + text.slice(index + 1, end);
      index = end;
    } else if (char === '"') {
      let end = index + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      word = (word ?? '') + text.slice(index + 1, end).replace(/\\(["\\$`])/g, '$1');
      index = end;
    } else if (char === '$' && text[index + 1] === '(') {
      let depth = 0;
      let end = index + 1;
      for (; end < text.length; end++) {
        if (text[end] === '(') depth++;
        if (text[end] === ')' && --depth === 0) break;
      }
      word = (word ?? '') + text.slice(index, end + 1);
      index = end;
    } else if (char === '#' && word === undefined) {
      while (index + 1 < text.length && text[index + 1] !== '\n') index++;
    } else if (char === '\n' || char === ';' || char === '&' || char === '|') {
      endCommand();
    } else if (char === '>' || char === '<') {
      if (word !== undefined && /^\d$/.test(word)) word = undefined;
      endWord();
      if (text[index + 1] === '>' || text[index + 1] === '&') index++;
      dropNext = true;
    } else if (char === ' ' || char === '\t') {
      endWord();
    } else {
      word = (word ?? '') + char;
    }
  }
  endCommand();
  return commands;
}

/**
 * A `junction` command line's arguments (after the program's name; `npx junction ...` and the
 * clone's `npm start [-- ...]` too), or undefined for another program.
 */
export function junctionArguments(command: ShellCommand): string[] | undefined {
  const [program, ...rest] = command;
  if (program === 'junction' || program?.endsWith('/junction')) return rest;
  if (program === 'npx' && rest[0] === 'junction') return rest.slice(1);
  if (program === 'npm' && rest[0] === 'start') return ['start', ...(rest[1] === '--' ? rest.slice(2) : [])];
  return undefined;
}

/** What a `curl` command line sends: its URL, headers and body (-d), as written. */
export interface CurlRequest {
  url: string;
  headers: Record<string, string>;
  body?: string;
}

const curlValueOptions = new Set(['-H', '--header', '-d', '--data', '--data-raw', '--data-binary', '-X', '--request', '-o', '-u']);

/** A `curl` command line's request, or undefined for another program. */
export function curlRequest(command: ShellCommand): CurlRequest | undefined {
  if (command[0] !== 'curl') return undefined;
  const request: CurlRequest = { url: '', headers: {} };
  for (let index = 1; index < command.length; index++) {
    const word = command[index]!;
    if (!curlValueOptions.has(word)) {
      if (!word.startsWith('-')) request.url = word;
      continue;
    }
    const value = command[++index] ?? '';
    if (word === '-H' || word === '--header') {
      const colon = value.indexOf(':');
      request.headers[value.slice(0, colon).trim().toLowerCase()] = value.slice(colon + 1).trim();
    } else if (word.startsWith('-d') || word.startsWith('--data')) {
      request.body = value;
    }
  }
  return request;
}

/**
 * The options a program's usage summary shows (`[-h host]`, `[-c]`, `[--will-topic
 * [--will-payload payload]]`), each with whether a value follows it there.
 */
export function usageOptions(usage: string): Map<string, boolean> {
  const words = usage.split(/[\s[\]{}|]+/).filter((word) => word !== '');
  const options = new Map<string, boolean>();
  words.forEach((word, at) => {
    if (!/^--?[A-Za-z][\w-]*$/.test(word)) return;
    const next = words[at + 1];
    options.set(word, options.get(word) === true || (next !== undefined && !next.startsWith('-') && next !== '...'));
  });
  return options;
}

/** What is wrong with a command line's options, by its program's usage options; empty when nothing is. */
export function optionProblems(command: ShellCommand, options: ReadonlyMap<string, boolean>): string[] {
  const problems: string[] = [];
  for (let index = 1; index < command.length; index++) {
    const word = command[index]!;
    const takesValue = options.get(word);
    if (takesValue === undefined) problems.push(word.startsWith('-') ? `no option ${word}` : `a word that is no option's value: ${word}`);
    else if (takesValue && command[++index] === undefined) problems.push(`${word} without its value`);
  }
  return problems;
}

/** The value a command line gives an option (the last one, as getopt does), or undefined. */
export function optionValue(command: ShellCommand, option: string): string | undefined {
  const at = command.lastIndexOf(option);
  return at < 0 ? undefined : command[at + 1];
}
