/**
 * The fish completion for nitroctl (`nitroctl completion fish`).
 *
 * @module
 */

import type { Vocabulary } from "../completion.ts";
import { quote } from "../completion.ts";

/**
 * The script: `complete` lines for the options and commands, conditions
 * that find the command word, service names from `nitroctl list`.
 *
 * @example
 * ```ts
 * import { vocabulary } from "../completion.ts";
 * import { fishCompletion } from "./fish.ts";
 * console.assert(fishCompletion(vocabulary()).includes("complete -c nitroctl -f"));
 * ```
 */
export function fishCompletion(v: Vocabulary): string {
  const q = (text: string) => quote(text, true);
  const valued = v.options.filter((o) => o.value).flatMap((o) =>
    o.short ? [`-${o.short}`, `--${o.name}`] : [`--${o.name}`]
  );
  const option = (o: Vocabulary["options"][number], condition: string) =>
    [
      "complete -c nitroctl",
      condition === "" ? "" : ` -n ${q(condition)}`,
      o.short ? ` -s ${o.short}` : "",
      ` -l ${o.name}`,
      o.value ? " -x" : "",
      ` -d ${q(o.summary)}`,
    ].join("");
  const lines = [
    ...v.options.map((o) =>
      option(o, o.name === "help" ? "" : "__nitroctl_needs_command")
    ),
    ...v.offered.map((c) =>
      `complete -c nitroctl -n __nitroctl_needs_command -a ${q(c.word)} -d ${
        q(c.summary)
      }`
    ),
    ...v.commandOptions.flatMap((c) =>
      c.options.map((o) => option(o, `__nitroctl_using ${c.words.join(" ")}`))
    ),
    ...v.operandWords.map((o) =>
      `complete -c nitroctl -n ${
        q(`__nitroctl_using ${o.words.join(" ")}`)
      } -a ${q(o.choices.join(" "))}`
    ),
    `complete -c nitroctl -n ${
      q(`__nitroctl_using ${v.serviceWords.join(" ")}`)
    } -a '(__nitroctl_services)' -d 'service'`,
  ];
  return `# fish completion for nitroctl. Written by \`nitroctl completion fish\`
# from nitroctl's own command table; service names come from \`nitroctl list\`.

# The command word typed so far, if any: the first word that is neither an
# option nor an option's value.
function __nitroctl_command
    set -l words (commandline -opc)
    set -e words[1]
    while set -q words[1]
        switch $words[1]
            case ${valued.join(" ")}
                set -e words[1]
            case '-*'
            case '*'
                echo -- $words[1]
                return 0
        end
        set -e words[1]
    end
    return 1
end

function __nitroctl_needs_command
    not __nitroctl_command >/dev/null
end

# Whether the command word is one of $argv.
function __nitroctl_using
    set -l word (__nitroctl_command); or return 1
    contains -- $word $argv
end

# Service names from \`nitroctl list\`; directories for a word with a /.
function __nitroctl_services
    set -l current (commandline -ct)
    if string match -q -- '*/*' $current
        __fish_complete_directories $current
        return
    end
    set -l ctl (commandline -opc)[1]
    for line in ($ctl -t 2 list 2>/dev/null)
        set line (string replace -r -- '^\\S+ ' '' $line)
        string replace -r -- ' (\\(pid \\d+\\) )?\\(wstatus \\d+\\) \\d+s$' '' $line
    end
end

complete -c nitroctl -f
${lines.join("\n")}
`;
}
