/**
 * A strict reader of the Prometheus text exposition format (0.0.4), as
 * node_exporter's textfile collector takes it, for testing `nitroctl
 * metrics`: every line must be a `# HELP`, a `# TYPE` or a sample with
 * valid syntax; every metric needs HELP and TYPE before its samples, its
 * samples together, no series twice, and no timestamps (the textfile
 * collector refuses them). Throws on the first violation, naming the line.
 *
 * @module
 */

/** One sample line, parsed. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** What a valid exposition contains. */
export interface Exposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** Parse `text`, or throw saying which line breaks which rule. */
export function parseExposition(text: string): Exposition {
  if (!text.endsWith("\n")) throw new Error("does not end with a newline");
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples: Sample[] = [];
  const seenSeries = new Set<string>();
  const finished = new Set<string>(); // metrics whose samples are over
  let current: string | null = null;
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, i) => {
    const fail = (why: string): never => {
      throw new Error(`line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
    };
    if (line === "") return fail("empty line");
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (m === null) return fail("a comment that is neither HELP nor TYPE");
      const [, keyword, name, rest] = m;
      if (!METRIC_NAME.test(name)) fail("bad metric name");
      if (samples.some((s) => s.name === name)) {
        fail(`${keyword} after the samples of ${name}`);
      }
      if (keyword === "HELP") {
        if (help.has(name)) fail("second HELP");
        if (/\\[^\\n]|\\$/.test(rest)) fail("bad escape in HELP");
        help.set(name, unescape(rest));
      } else {
        if (type.has(name)) fail("second TYPE");
        if (!TYPES.has(rest)) fail("unknown type");
        type.set(name, rest);
      }
      return;
    }
    const sample = parseSample(line, fail);
    if (!help.has(sample.name)) fail("no HELP before the sample");
    if (!type.has(sample.name)) fail("no TYPE before the sample");
    if (sample.name !== current) {
      if (finished.has(sample.name)) fail("samples of a metric not together");
      if (current !== null) finished.add(current);
      current = sample.name;
    }
    const series = sample.name + JSON.stringify(
      Object.entries(sample.labels).sort(([a], [b]) => a < b ? -1 : 1),
    );
    if (seenSeries.has(series)) fail("the same series twice");
    seenSeries.add(series);
    samples.push(sample);
  });
  return { help, type, samples };
}

/** One sample line: `name{label="value",...} value`, nothing after it. */
function parseSample(line: string, fail: (why: string) => never): Sample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (nameMatch === null) return fail("no metric name");
  const name = nameMatch[0];
  let at = name.length;
  const labels: Record<string, string> = {};
  if (line[at] === "{") {
    at++;
    while (line[at] !== "}") {
      const labelMatch = /^[^=]*/.exec(line.slice(at))!;
      const label = labelMatch[0];
      if (!LABEL_NAME.test(label)) fail(`bad label name ${label}`);
      if (label in labels) fail(`label ${label} twice`);
      at += label.length;
      if (line.slice(at, at + 2) !== '="') fail('label without ="');
      at += 2;
      let value = "";
      for (;;) {
        const c = line[at];
        if (c === undefined) fail("unterminated label value");
        if (c === '"') break;
        if (c === "\\") {
          const next = line[at + 1];
          if (next === "\\") value += "\\";
          else if (next === '"') value += '"';
          else if (next === "n") value += "\n";
          else fail("bad escape in a label value");
          at += 2;
          continue;
        }
        value += c;
        at++;
      }
      labels[label] = value;
      at++; // the closing quote
      if (line[at] === ",") at++;
      else if (line[at] !== "}") fail("labels not separated by ,");
    }
    at++; // the closing brace
  }
  if (line[at] !== " ") fail("no space before the value");
  const rest = line.slice(at + 1);
  if (rest.includes(" ")) fail("a timestamp or trailing text");
  const value = parseValue(rest);
  if (value === null) fail("bad value");
  return { name, labels, value: value! };
}

/** A Go ParseFloat-style value: decimal, exponent, NaN, +Inf, -Inf. */
function parseValue(text: string): number | null {
  if (text === "NaN") return NaN;
  if (text === "+Inf" || text === "Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)
    ? Number(text)
    : null;
}

function unescape(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c) => c === "n" ? "\n" : "\\");
}
