/**
 * The ONE place where the differential suite makes the two programs'
 * transcripts comparable. Every rule says why; what differs on purpose is
 * listed with its reason in docs/decisions.md ("Deliberate differences").
 *
 * @module
 */

/** Which program a transcript came from. */
export type Side = "ours" | "c";

/** One rule: a pattern and its replacement, per side or both. */
interface Rule {
  why: string;
  side?: Side;
  pattern: RegExp;
  replace: string;
}

const RULES: Rule[] = [
  // --- what changes from run to run ---------------------------------------
  {
    why: "pids differ from run to run",
    pattern: /\(pid \d+\)/g,
    replace: "(pid N)",
  },
  {
    why: "pids printed alone (pidof) differ from run to run",
    pattern: /^\d+$/gm,
    replace: "N",
  },
  {
    why: "uptimes depend on timing",
    pattern: /\) \d+s$/gm,
    replace: ") Ns",
  },
  {
    why: "a dot each time nitro looks while services stop: how many looks " +
      "it takes depends on when they die",
    pattern: /(services to finish)\.*( done\.)$/gm,
    replace: "$1...$2",
  },
  {
    why: "each program runs in a temporary directory of its own",
    pattern: /\/tmp\/wire-(ours|c)-[A-Za-z0-9_]+/g,
    replace: "ROOT",
  },
  // --- on purpose (docs/decisions.md) ------------------------------------
  {
    why: "log pipes are FIFOs in nitro's runtime directory, not pipes: " +
      "a script's fd 0/1 to its logger reads as a path",
    side: "ours",
    pattern: /ROOT\/run\/nitro\.sock\.d\/[^\s]+/g,
    replace: "pipe:[N]",
  },
  {
    why: "pipe inode numbers differ from run to run",
    pattern: /pipe:\[\d+\]/g,
    replace: "pipe:[N]",
  },
  {
    why: "outside pid 1 a reboot ends (`finished`) and boots again in " +
      "place; C nitro re-execs itself",
    side: "c",
    pattern: /^- nitro: re-execing$/gm,
    replace: "- nitro: finished",
  },
  {
    why: "SYS/final runs also outside pid 1 (C nitro runs it only as pid 1)",
    side: "ours",
    pattern: /^final .*\n/gm,
    replace: "",
  },
  {
    why: "this nitro says on the console why a service is FATAL (C nitro " +
      "is silent, or says `can't exec …: errno=N`)",
    pattern:
      /^- nitro: [^\s:]+: (setup exited 111|cannot exec|run: |run is not|setup is not).*\n/gm,
    replace: "",
  },
  {
    why: "where this nitroctl knows more, it appends it after C " +
      "nitroctl's words: `failed to start 'X': setup exited 111`",
    side: "ours",
    pattern:
      /^(! nitroctl: (?:action timed out|failed to (?:re)?start '[^']*'|no such service '[^']*')): .*$/gm,
    replace: "$1",
  },
  {
    why: "a usage error of this nitroctl says why and where the usage " +
      "is, after C nitroctl's words, on the same line",
    side: "ours",
    pattern: / \((?:[^\n]*; )?see nitroctl --help\)$/gm,
    replace: "",
  },
  {
    why: "C nitro's words for an exec failure (ours are above, removed)",
    side: "c",
    pattern: /^- nitro: can't exec .*\n/gm,
    replace: "",
  },
];

/** `text` from `side`, normalised by every rule that applies. */
export function normalise(side: Side, text: string): string {
  let out = text;
  for (const rule of RULES) {
    if (rule.side !== undefined && rule.side !== side) continue;
    out = out.replace(rule.pattern, rule.replace);
  }
  return out;
}

/** The reasons of the rules, for a reader of a failing diff. */
export function rulesInForce(): string[] {
  return RULES.map((r) => `${r.side ?? "both"}: ${r.why}`);
}
