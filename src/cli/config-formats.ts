import { extname } from 'node:path';
import { parse as parseYaml, stringify as yamlText } from 'yaml';

/** A config file's format, by its name's extension, as `convert` and `upgrade` read and write it (Crossbar's two). */
export interface ConfigFormat {
  extension: '.json' | '.yaml';
  parse(text: string): unknown;
  text(document: unknown): string;
}

const json: ConfigFormat = { extension: '.json', parse: (text) => JSON.parse(text), text: (document) => `${JSON.stringify(document, null, 4)}\n` };
const yaml: ConfigFormat = { extension: '.yaml', parse: (text) => parseYaml(text), text: (document) => yamlText(document) };

/** The format of `file`, or undefined when its name says neither. */
export function configFormatOf(file: string): ConfigFormat | undefined {
  const extension = extname(file).toLowerCase();
  return extension === '.json' ? json : extension === '.yaml' || extension === '.yml' ? yaml : undefined;
}

/** The other format: what `convert` writes. */
export function otherConfigFormat(format: ConfigFormat): ConfigFormat {
  return format === json ? yaml : json;
}

export const configFormatRefusal = (file: string): string => `${file}: the file name must end in .json, .yaml or .yml, which says its format`;
