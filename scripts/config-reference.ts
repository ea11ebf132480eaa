// Renders docs/configuration-reference.md from the config tables (Cortex `tools/doc-generator`).
//
//   node dist/scripts/config-reference.js            prints the reference to stdout
//   node dist/scripts/config-reference.js --write    writes docs/configuration-reference.md
//
// scripts/config-reference.test.ts fails when the committed file differs from what this renders.
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { flagCategory, snakeCase } from '../pkg/flagext/index.js';
import type { Field, Section } from '../pkg/flagext/index.js';
import { basicFlags, myelinConfig } from '../pkg/myelin/index.js';

export const referencePath = 'docs/configuration-reference.md';
export const regenerateCommand = 'npx tsc -b && node dist/scripts/config-reference.js --write';

export interface RenderOptions {
  /**
   * The hostname of the machine that loaded the config tables. The lifecyclers' instance ID
   * defaults to it; the reference shows `<hostname>` instead, so it reads the same everywhere.
   */
  hostname: string;
  /** The flags `-help` lists; when given, every other flag is marked advanced, as -help-all does. */
  basicFlags?: ReadonlySet<string>;
}

type AnyField = Field<unknown>;

/** One section of the tree with its YAML path and the fields directly inside it. */
interface Block {
  path: string[];
  fields: { key: string; field: AnyField }[];
}

const yamlKey = (name: string, spec: AnyField | Section) => spec.yaml ?? snakeCase(name);

/** Depth-first, in schema order: a section's own fields first, then its subsections. */
function collectBlocks(spec: Section, path: string[], out: Block[]): Block[] {
  const block: Block = { path, fields: [] };
  out.push(block);
  const subsections: [string, Section][] = [];
  for (const [name, f] of Object.entries(spec.fields)) {
    if (f.kind === 'section') subsections.push([yamlKey(name, f), f]);
    else block.fields.push({ key: yamlKey(name, f), field: f });
  }
  for (const [key, sub] of subsections) collectBlocks(sub, [...path, key], out);
  return out;
}

/** Table cells may not hold a bare `|` or a line break. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => `\`${text}\``;

function renderType(f: AnyField): string {
  if (f.typeName.includes('|')) {
    return `one of ${f.typeName.split('|').map((v) => code(v === '' ? '""' : v)).join(', ')}`;
  }
  return f.typeName;
}

const units = [['GiB', 1 << 30], ['MiB', 1 << 20], ['KiB', 1 << 10]] as const;

function renderDefault(f: AnyField, opts: RenderOptions): string {
  const v = f.format(f.defaultValue);
  if (typeof v === 'string') {
    if (v === '') return code('""');
    return code(v === opts.hostname ? '<hostname>' : v);
  }
  if (Array.isArray(v)) return code(`[${v.map(String).join(', ')}]`);
  if (f.typeName === 'bytes' && typeof v === 'number' && v > 0) {
    const unit = units.find(([, size]) => v % size === 0);
    if (unit !== undefined) return `${code(String(v))} (${v / unit[1]} ${unit[0]})`;
  }
  if (v !== null && typeof v === 'object') return code(JSON.stringify(v));
  return code(String(v));
}

function renderDescription(f: AnyField, opts: RenderOptions): string {
  const notes: string[] = [];
  // As `-help` shows it: a flag missing from basicFlags is advanced.
  const category = f.flag === undefined ? f.category : flagCategory(f.flag, f, opts.basicFlags);
  if (category !== 'basic') notes.push(`*${category}*`);
  if (f.secret) notes.push('**secret**: shown as `********` by `GET /config`');
  return [f.help, ...notes].join(' ');
}

function renderBlock(block: Block, opts: RenderOptions): string[] {
  const title = block.path.length === 0 ? 'Top level' : code(block.path.join('.'));
  const lines = [`${block.path.length <= 1 ? '##' : '###'} ${title}`, ''];
  if (block.fields.length === 0) {
    lines.push('Only subsections, below.', '');
    return lines;
  }
  lines.push('| key | type | flag | default | description |', '|---|---|---|---|---|');
  for (const { key, field } of block.fields) {
    const flag = field.flag === undefined ? 'YAML only' : code(`-${field.flag}`);
    lines.push(`| ${[code(key), renderType(field), flag, renderDefault(field, opts), renderDescription(field, opts)].map(cell).join(' | ')} |`);
  }
  lines.push('');
  return lines;
}

/** GitHub's heading anchor: lowercase, punctuation other than `-` and `_` dropped, spaces to `-`. */
const anchor = (heading: string) => heading.toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-');

/** The whole reference as Markdown, every section and option of `spec` in schema order. */
export function renderConfigReference(spec: Section, opts: RenderOptions): string {
  const blocks = collectBlocks(spec, [], []);
  const toc = blocks.filter((b) => b.path.length <= 1).map((b) => {
    const title = b.path.length === 0 ? 'Top level' : code(b.path[0]);
    return `- [${title}](#${anchor(b.path.length === 0 ? 'Top level' : b.path[0])})`;
  });
  const optionCount = blocks.reduce((n, b) => n + b.fields.length, 0);
  return [
    '# Configuration reference',
    '',
    `<!-- Generated from the config tables by scripts/config-reference.ts. Do not edit by hand; regenerate with: ${regenerateCommand} -->`,
    '',
    `Every one of Myelin's ${optionCount} options, in the order the code declares them (within a`,
    'section, its own keys come before its subsections). The YAML file given with `-config.file` is a',
    'tree of sections; each heading below is the dotted path of a section, and each row a key inside',
    'it. An option with a flag can be set either way; the flag wins.',
    'The overview and examples are in [configuration.md](configuration.md).',
    '',
    '- Three flags are not options: `-config.file` (the YAML file), `-config.expand-env` (replace',
    '  `${VAR}` and `${VAR:default}` in that file from the environment) and `-help`.',
    '- Types: `duration` is written like `500ms`, `1m30s`, `2h` or `7d`; `bytes` is a plain number',
    '  or a size with a unit such as `100MiB`; a `list of strings` is a YAML sequence in the file and',
    '  comma-separated in a flag.',
    '- *advanced* options rarely need a change; **secret** ones are masked in `GET /config`.',
    '- `<hostname>` stands for the hostname of the machine the process runs on.',
    '',
    ...toc,
    '',
    ...blocks.flatMap((b) => renderBlock(b, opts)),
  ].join('\n');
}

/** The reference of Myelin's own config tree, as it renders on this machine. */
export function renderMyelinReference(): string {
  return renderConfigReference(myelinConfig, { hostname: hostname(), basicFlags });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const text = renderMyelinReference();
  if (process.argv.includes('--write')) {
    const target = fileURLToPath(new URL(`../../${referencePath}`, import.meta.url));
    writeFileSync(target, text);
    console.error(`wrote ${referencePath}`);
  } else {
    process.stdout.write(text);
  }
}
