/**
 * The bash completion script for nitroctl (`nitroctl completion bash`).
 *
 * @module
 */

import type { Vocabulary } from "../completion.ts";

/** A bash `case` pattern matching any of `words` (they need no quoting). */
const pattern = (words: readonly string[]) => words.join("|");

/**
 * The script: a `_nitroctl` function bound with `complete -F`. It completes
 * options and commands from the table, service names from `nitroctl list`
 * (and directories for a word with a `/`), and SHELL for `completion`.
 *
 * @example
 * ```ts
 * import { vocabulary } from "../completion.ts";
 * import { bashCompletion } from "./bash.ts";
 * console.assert(bashCompletion(vocabulary()).includes("complete -F _nitroctl nitroctl"));
 * ```
 */
export function bashCompletion(v: Vocabulary): string {
  const options = v.options.flatMap((o) =>
    o.short ? [`-${o.short}`, `--${o.name}`] : [`--${o.name}`]
  );
  const valued = v.options.filter((o) => o.value).flatMap((o) =>
    o.short ? [`-${o.short}`, `--${o.name}`] : [`--${o.name}`]
  );
  const commands = v.offered.map((c) => c.word).join(" ");
  const shortcuts = v.shortcuts.map(([key, name]) =>
    `    ${key}) COMPREPLY=(${name}); return ;;`
  );
  const operandCases = v.operandWords.map((o) =>
    `    ${pattern(o.words)}) ((COMP_CWORD == i + 1)) && ` +
    `COMPREPLY=($(compgen -W '${o.choices.join(" ")}' -- "$cur")); return ;;`
  );
  const own = v.commandOptions.map((o) =>
    `    ${pattern(o.words)}) flags+=" ${
      o.options.map((x) => `--${x.name}`).join(" ")
    }" ;;`
  );
  return `# bash completion for nitroctl. Written by \`nitroctl completion bash\`
# from nitroctl's own command table; service names come from \`nitroctl list\`.

# The service names \`nitroctl list\` prints (its command is $1).
_nitroctl_services() {
  local line
  while IFS= read -r line; do
    line=\${line#* }
    line=\${line% (wstatus *}
    line=\${line% (pid *}
    printf '%s\\n' "$line"
  done < <("$1" -t 2 list 2>/dev/null)
}

_nitroctl() {
  local cur=\${COMP_WORDS[COMP_CWORD]} word= flags=--help i name
  COMPREPLY=()
  # The command word: the first word that is neither an option nor a value.
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in
    ${pattern(valued)}) ((i++)) ;;
    -*) ;;
    *) word=\${COMP_WORDS[i]}; break ;;
    esac
  done
  if [[ -z $word ]]; then
    case \${COMP_WORDS[COMP_CWORD - 1]} in
    ${pattern(valued)}) return ;;
    esac
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W '${options.join(" ")}' -- "$cur"))
      return
    fi
    # A letter that already names a command completes to that command.
    case $cur in
${shortcuts.join("\n")}
    esac
    COMPREPLY=($(compgen -W '${commands}' -- "$cur"))
    return
  fi
  case $word in
${operandCases.join("\n")}
${own.join("\n")}
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    return
  fi
  case $word in
  ${pattern(v.serviceWords)}) ;;
  *) return ;;
  esac
  if [[ $cur == */* ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -d -- "$cur"))
    return
  fi
  while IFS= read -r name; do
    [[ $name == "$cur"* ]] && COMPREPLY+=("$name")
  done < <(_nitroctl_services "\${COMP_WORDS[0]}")
}

complete -F _nitroctl nitroctl
`;
}
