/**
 * The zsh completion function for nitroctl (`nitroctl completion zsh`),
 * a `_nitroctl` file for `$fpath`. It offers what nitro's own
 * contrib/_nitroctl offers: the options, every command with a description
 * (a one-letter shortcut completing to its command), service names from
 * `nitroctl list` and directories for a path; and besides, `--json`,
 * `--help`, `events --replay` and `completion SHELL`.
 *
 * @module
 */

import type { Vocabulary } from "../completion.ts";
import { quote } from "../completion.ts";

/** Text for inside a `_describe` item or an `_arguments` description. */
const escape = (text: string) => text.replace(/[:\[\]\\]/g, (c) => `\\${c}`);

/**
 * The script.
 *
 * @example
 * ```ts
 * import { vocabulary } from "../completion.ts";
 * import { zshCompletion } from "./zsh.ts";
 * console.assert(zshCompletion(vocabulary()).startsWith("#compdef nitroctl\n"));
 * ```
 */
export function zshCompletion(v: Vocabulary): string {
  const specs = v.options.map((o) => {
    const names = o.short ? [`-${o.short}`, `--${o.name}`] : [`--${o.name}`];
    const exclusive = o.name === "help" ? "- *" : names.join(" ");
    const what = `[${escape(o.summary)}]`;
    const arg = o.value ? `:${o.value.toLowerCase()}` : "";
    const spelled = names.map((n) =>
      o.value ? (n.startsWith("--") ? `${n}=` : `${n}+`) : n
    );
    return spelled.length === 1
      ? quote(`(${exclusive})${spelled[0]}${what}${arg}`)
      : `${quote(`(${exclusive})`)}{${spelled.join(",")}}${quote(what + arg)}`;
  });
  const commands = v.offered.map((c) =>
    `    ${quote(`${escape(c.word)}:${escape(c.summary)}`)}`
  );
  const shortcuts = v.shortcuts.map(([key, name]) => `${key} ${name}`)
    .join(" ");
  const operandCases = v.operandWords.map((o) =>
    `        (${o.words.join("|")})\n` +
    `          (( CURRENT == 2 )) && _values ${quote("shell")} ${
      o.choices.join(" ")
    } && ret=0\n          ;;`
  );
  const own = v.commandOptions.map((o) =>
    `        (${o.words.join("|")})\n          flags+=(${
      o.options.map((x) => quote(`--${x.name}:${escape(x.summary)}`)).join(
        " ",
      )
    })\n          ;;`
  );
  return `#compdef nitroctl
# zsh completion for nitroctl. Written by \`nitroctl completion zsh\` from
# nitroctl's own command table; service names come from \`nitroctl list\`.

# The service names \`nitroctl list\` prints, to complete ($1 runs nitroctl).
_nitroctl_services() {
  local line
  local -a names
  for line in \${(f)"$(\${~1} -t 2 list 2>/dev/null)"}; do
    line=\${line#* }
    line=\${line% \\(wstatus *}
    names+=( "\${line% \\(pid *}" )
  done
  _wanted services expl 'nitro service' compadd -a names
}

_nitroctl() {
  local curcontext=$curcontext state line ctl=\${words[1]} ret=1
  local -a commands flags
  local -A shortcuts
  shortcuts=( ${shortcuts} )
  commands=(
${commands.join("\n")}
  )
  _arguments -C \\
    ${specs.join(" \\\n    ")} \\
    '1: :->command' \\
    '*:: :->args' && ret=0
  case $state in
    (command)
      # A letter that already names a command completes to that command.
      if [[ -n $PREFIX && -n \${shortcuts[$PREFIX]} ]]; then
        compadd -U -- \${shortcuts[$PREFIX]} && return 0
      fi
      _describe -t commands 'nitroctl command' commands && ret=0
      ;;
    (args)
      flags=('--help:print what this command does')
      case $words[1] in
${operandCases.join("\n")}
${own.join("\n")}
      esac
      if [[ $PREFIX == -* ]]; then
        _describe -t options 'option' flags && ret=0
        return ret
      fi
      case $words[1] in
        (${v.serviceWords.join("|")})
          [[ $PREFIX == */* ]] && _directories && ret=0
          _nitroctl_services "$ctl" && ret=0
          ;;
      esac
      ;;
  esac
  return ret
}

_nitroctl "$@"
`;
}
