/**
 * Man pages in roff from the markdown of docs/nitro.8.md and
 * docs/nitroctl.1.md: the markdown is the one source, and `deno task
 * install` (and `compile`) make the pages `man` opens from it.
 *
 * It converts the subset of markdown these pages use: a `# name(N)` title,
 * `##`/`###` headings, paragraphs, `-` and `1.` lists (one level of
 * nesting), `- **term**: text` items, paragraphs and indented code inside
 * items, fenced code, pipe tables, and inline code, bold, `_italic_` and
 * links.
 *
 * ```sh
 * deno run ci/manpage.ts docs/nitroctl.1.md > nitroctl.1
 * ```
 *
 * @module
 */

/** The pages, their sources and their sections. */
export const MAN_PAGES = [
  { source: "docs/nitro.8.md", name: "nitro", section: 8 },
  { source: "docs/nitroctl.1.md", name: "nitroctl", section: 1 },
] as const;

/** Where an install root keeps a page: `share/man/man8/nitro.8`. */
export function manPath(page: { name: string; section: number }): string {
  return `share/man/man${page.section}/${page.name}.${page.section}`;
}

/** What man calls each section, for the page footer. */
const MANUALS: Record<number, string> = {
  1: "User Commands",
  8: "System Administration",
};

/**
 * Escape text for roff: backslashes, and anything not ASCII as a groff
 * Unicode escape (no preconv needed, no warning).
 */
function escape(text: string): string {
  return text.replaceAll("\\", "\\e").replace(
    /\P{ASCII}/gu,
    (c) =>
      `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}]`,
  );
}

/** Inline markup of one paragraph; inside bold, code changes no font. */
function inline(text: string, bold = false): string {
  const pattern =
    /`([^`]+)`|\*\*(.+?)\*\*|\[([^\]]+)\]\(([^)]+)\)|(?<![\w])_([^_]+)_(?![\w])/g;
  let out = "";
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    out += escape(text.slice(last, m.index));
    last = m.index + m[0].length;
    const [, code, strong, label, , italic] = m;
    if (code !== undefined) {
      const body = escape(code).replaceAll("-", "\\-");
      out += bold ? body : `\\fB${body}\\fR`;
    } else if (strong !== undefined) {
      out += bold ? inline(strong, true) : `\\fB${inline(strong, true)}\\fR`;
    } else if (label !== undefined) {
      const page = /^([\w.-]+)\((\d)\)$/.exec(label);
      out += page ? `\\fB${escape(page[1])}\\fR(${page[2]})` : inline(label);
    } else out += `\\fI${escape(italic)}\\fR`;
  }
  return out + escape(text.slice(last));
}

/** A line of text as roff takes it: never read as a request. */
function textLine(text: string): string {
  return /^[.']/.test(text) ? `\\&${text}` : text;
}

/** Markup removed, for the NAME line that whatis and apropos read. */
function plain(text: string): string {
  return text.replace(/\*\*|`|_/g, "").replace(/\[([^\]]+)\]\([^)]+\)/g, "$1")
    .replace(/\s+—\s+/, " \\- ");
}

/** Lines of code, kept as they are. */
function codeBlock(lines: string[]): string[] {
  return [".nf", ...lines.map((l) => textLine(escape(l))), ".fi"];
}

/** A pipe table as a tbl table, the header bold, the last column wrapped. */
function table(rows: string[]): string[] {
  const cells = rows
    .filter((r) => !/^\|[\s:|-]+\|$/.test(r))
    .map((r) => r.replace(/^\||\|$/g, "").split("|").map((c) => c.trim()));
  const columns = cells[0].length;
  const format = (font: string) =>
    Array.from(
      { length: columns },
      (_, i) => i === columns - 1 ? `l${font}x` : `l${font}`,
    )
      .join(" ");
  return [
    ".TS",
    "allbox;",
    format("B"),
    `${format("")}.`,
    ...cells.map((row) =>
      row.map((c) => `T{\n${textLine(inline(c))}\nT}`).join("\t")
    ),
    ".TE",
    // A paragraph right after a table gets no space of its own.
    ".sp",
  ];
}

/**
 * The roff of a markdown page.
 *
 * @example
 * ```ts
 * import { markdownToRoff } from "./manpage.ts";
 * const roff = markdownToRoff("# x(1)\n\n## NAME\n\n**x** — does y\n", "1.0");
 * console.assert(roff.includes(".TH X 1") && roff.includes("x \\- does y"));
 * ```
 */
export function markdownToRoff(markdown: string, version: string): string {
  const lines = markdown.replace(/\n+$/, "").split("\n");
  const out: string[] = [`'\\" t`];
  let section = "";
  /** Depth of the list being written: 0 none, 1 a list, 2 a nested one. */
  let depth = 0;
  let i = 0;
  const setDepth = (d: number) => {
    while (depth > d) {
      if (depth === 2) out.push(".RE");
      depth--;
    }
    if (d === 2 && depth === 1) {
      out.push(".RS");
      depth = 2;
    }
    depth = Math.max(depth, d);
  };
  /** The paragraph starting at line i: lines until a blank or a new block. */
  const paragraph = (indent: number): string => {
    const parts: string[] = [];
    while (i < lines.length && lines[i].trim() !== "") {
      const line = lines[i];
      if (parts.length > 0 && /^\s*([-*]|\d+\.) /.test(line)) break;
      if (parts.length > 0 && /^\s*(```|\|)/.test(line)) break;
      if (parts.length > 0 && line.length - line.trimStart().length < indent) {
        break;
      }
      parts.push(line.trim());
      i++;
    }
    return parts.join(" ");
  };
  while (i < lines.length) {
    const line = lines[i];
    const indent = line.length - line.trimStart().length;
    const trimmed = line.trim();
    if (trimmed === "") {
      i++;
      continue;
    }
    const heading = /^(#{1,3}) (.*)$/.exec(line);
    if (heading) {
      setDepth(0);
      i++;
      const [, level, text] = heading;
      if (level === "#") {
        const [, name, sect] = /^(.*)\((\d)\)$/.exec(text)!;
        out.push(
          `.TH ${name.toUpperCase()} ${sect} "" "nitro ${version}" "${
            MANUALS[Number(sect)] ?? ""
          }"`,
        );
      } else if (level === "##") {
        section = text;
        out.push(`.SH ${textLine(inline(text))}`);
      } else out.push(`.SS ${textLine(inline(text))}`);
      continue;
    }
    if (trimmed.startsWith("```")) {
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith("```"); i++) {
        body.push(lines[i].slice(indent));
      }
      i++;
      out.push(depth > 0 ? ".IP" : ".PP", ".RS 4", ...codeBlock(body), ".RE");
      continue;
    }
    if (trimmed.startsWith("|")) {
      const rows: string[] = [];
      for (; i < lines.length && lines[i].trim().startsWith("|"); i++) {
        rows.push(lines[i].trim());
      }
      setDepth(0);
      out.push(".PP", ...table(rows));
      continue;
    }
    const item = /^(\s*)([-*]|\d+\.) (.*)$/.exec(line);
    if (item) {
      const [, lead, marker] = item;
      setDepth(lead.length >= 2 ? 2 : 1);
      lines[i] = item[3];
      const text = paragraph(lead.length + marker.length + 1);
      const term = /^\*\*(.+?)\*\*:\s*(.*)$/.exec(text);
      if (term) {
        out.push(".TP", textLine(inline(term[1])), textLine(inline(term[2])));
      } else if (marker === "-" || marker === "*") {
        out.push(".IP \\(bu 2", textLine(inline(text)));
      } else out.push(`.IP ${marker} 4`, textLine(inline(text)));
      continue;
    }
    if (depth > 0 && indent >= 2) {
      // Inside a list item: indented code (4 more than the item's text,
      // which is indented by 2), or another paragraph.
      if (indent >= 6) {
        const body: string[] = [];
        for (; i < lines.length; i++) {
          const l = lines[i];
          if (l.trim() !== "" && l.length - l.trimStart().length < indent) {
            break;
          }
          body.push(l.slice(indent));
        }
        while (body.at(-1)?.trim() === "") body.pop();
        // No .RS here: it would indent from the section's margin, not the
        // item's; no-fill mode keeps the leading blanks instead.
        out.push(".IP", ...codeBlock(body.map((l) => `    ${l}`)));
        continue;
      }
      if (indent < 4) setDepth(1);
      out.push(".IP", textLine(inline(paragraph(indent))));
      continue;
    }
    setDepth(0);
    const text = paragraph(0);
    out.push(
      ".PP",
      textLine(section === "NAME" ? plain(text) : inline(text)),
    );
  }
  setDepth(0);
  return out.join("\n") + "\n";
}

if (import.meta.main) {
  const [source] = Deno.args;
  const { version } = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  console.log(
    markdownToRoff(await Deno.readTextFile(source), version).trimEnd(),
  );
}
