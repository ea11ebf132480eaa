// Metric and label names of OTLP metrics as Prometheus names them (Prometheus' OTLP translator,
// the OpenTelemetry "Prometheus and OpenMetrics compatibility" specification): characters outside
// [a-zA-Z0-9_:] become `_`, and with suffixes on, the unit and the type add `_seconds`,
// `_per_second`, `_total` or `_ratio`.

/** How a metric's name ends: a monotonic sum is a counter (`_total`), a gauge of unit "1" a ratio. */
export type NameKind = 'counter' | 'gauge' | 'other';

// OTLP units are UCUM (c/s) codes; Prometheus wants base units spelt out.
const units: Record<string, string> = {
  d: 'days', h: 'hours', min: 'minutes', s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds',
  By: 'bytes', KiBy: 'kibibytes', MiBy: 'mebibytes', GiBy: 'gibibytes', TiBy: 'tibibytes',
  KBy: 'kilobytes', MBy: 'megabytes', GBy: 'gigabytes', TBy: 'terabytes',
  m: 'meters', V: 'volts', A: 'amperes', J: 'joules', W: 'watts', g: 'grams',
  Cel: 'celsius', Hz: 'hertz', 1: '', '%': 'percent',
};
const perUnits: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

const notNameChar = /[^a-zA-Z0-9:]+/;
const notLabelChar = /[^a-zA-Z0-9_]/g;

/**
 * The Prometheus name of an OTLP metric, or '' when nothing of it is left. Without suffixes the
 * name only has its invalid characters replaced; with them, the name is cut into words at every
 * invalid character (so runs of `_` collapse) and the unit and type words are appended once.
 */
export function metricName(name: string, unit: string, kind: NameKind, suffixes: boolean): string {
  let out: string;
  if (!suffixes) out = name.split(/[^a-zA-Z0-9:_]+/).filter((w) => w !== '').join('_');
  else {
    const words = name.split(notNameChar).filter((w) => w !== '');
    const [main, per] = unitWords(unit);
    if (main !== '' && !words.includes(main)) words.push(main);
    if (per !== '' && !words.includes(per.slice(4))) words.push(per);
    if (kind === 'counter') moveLast(words, 'total');
    if (unit === '1' && kind === 'gauge') moveLast(words, 'ratio');
    out = words.join('_');
  }
  if (/^_*$/.test(out)) return '';
  return out.charCodeAt(0) >= 48 && out.charCodeAt(0) <= 57 ? `_${out}` : out;
}

/**
 * The Prometheus label name of an attribute key, or '' when it has no usable character: invalid
 * characters become `_`, runs of `_` collapse (except the `__` around reserved names such as
 * `__replica__`, and a leading `__`), and a name starting with a digit gets `key_` in front.
 */
export function labelName(key: string): string {
  let out = key.replace(notLabelChar, '_');
  if (/^__.+__$/.test(out)) out = `__${out.slice(2, -2).replace(/__+/g, '_')}__`;
  else if (out.startsWith('__')) out = `_${out.replace(/__+/g, '_')}`;
  else out = out.replace(/__+/g, '_');
  if (/^_*$/.test(out)) return '';
  return out.charCodeAt(0) >= 48 && out.charCodeAt(0) <= 57 ? `key_${out}` : out;
}

/** The main and `per_` words of a UCUM unit like `By/s`; annotations (`{request}`) add none. */
function unitWords(unit: string): [string, string] {
  const slash = unit.indexOf('/');
  const main = (slash < 0 ? unit : unit.slice(0, slash)).trim();
  const per = slash < 0 ? '' : unit.slice(slash + 1).trim();
  const mainWord = main === '' || /[{}]/.test(main) ? '' : cleanUnit(units[main] ?? main);
  const perWord = per === '' || /[{}]/.test(per) ? '' : cleanUnit(perUnits[per] ?? per);
  return [mainWord, perWord === '' ? '' : `per_${perWord}`];
}

function cleanUnit(word: string): string {
  return word.split(/[^a-zA-Z0-9]+/).filter((w) => w !== '').join('_');
}

function moveLast(words: string[], word: string): void {
  for (let i = words.indexOf(word); i >= 0; i = words.indexOf(word)) words.splice(i, 1);
  words.push(word);
}
