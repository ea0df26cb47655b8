/**
 * docs/performance.md from a run of the bench: the run's part of the page
 * sits between two markers and is replaced as a whole by the next run with
 * `--write-docs`; what is written around it by hand stays. Pure: figures
 * in, Markdown out.
 *
 * @module
 */

/** Where the bench's part of the page begins and ends. */
export const BEGIN =
  "<!-- bench: begin (written by deno task bench --write-docs) -->";
export const END = "<!-- bench: end -->";

/** What one run hands to the page. */
export interface RunReport {
  /** The command that reproduces the run. */
  command: string;
  /** When it ran (ISO date and time, UTC). */
  date: string;
  /** The machine: "2 cores, Linux 6.1, Deno 2.9.6". */
  machine: string;
  /** `uptime` at the start and at the end of the run. */
  load: { before: string; after: string };
  /** Limits raised for the run, as said. */
  limits: string[];
  /** Sections, in the order they ran. */
  sections: ReportSection[];
}

/** One section of the run on the page. */
export interface ReportSection {
  title: string;
  /** What it measured, one sentence. */
  about: string;
  /** A Markdown table, if the section has one. */
  table?: string;
  /** A picture beside the page (relative path) and its alternative text. */
  image?: { path: string; alt: string };
  /** The section's one-line figures, targets included. */
  lines: string[];
}

/** The bench's part of the page for one run, markers included. */
export function reportBlock(r: RunReport): string {
  const out = [
    BEGIN,
    "",
    `Measured on ${r.date} UTC on ${r.machine}, with`,
    "",
    "```sh",
    r.command,
    "```",
    "",
    `Load of the machine (\`uptime\`) at the start: ${r.load.before}; at the end: ${r.load.after}.`,
  ];
  if (r.limits.length > 0) {
    out.push("", `Limits for the run: ${r.limits.join("; ")}.`);
  }
  for (const s of r.sections) {
    out.push("", `### ${s.title}`, "", s.about);
    if (s.image) out.push("", `![${s.image.alt}](${s.image.path})`);
    if (s.table) out.push("", s.table);
    if (s.lines.length > 0) {
      out.push("", ...s.lines.map((line) => `- ${line}`));
    }
  }
  out.push("", END);
  return out.join("\n");
}

/**
 * `doc` with its bench part replaced by `block`; a page without one gets
 * it at the end, and an empty page a title first.
 */
export function replaceBlock(doc: string, block: string): string {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END, begin);
  if (begin >= 0 && end >= 0) {
    return doc.slice(0, begin) + block + doc.slice(end + END.length);
  }
  const head = doc.trim() === "" ? "# Performance\n" : doc.trimEnd() + "\n";
  return `${head}\n${block}\n`;
}
