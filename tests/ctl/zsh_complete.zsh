# Complete a command line in an interactive zsh on a pseudo-terminal (zpty)
# and print each match on a line of its own, as "match: WORD".
#
#   zsh -f zsh_complete.zsh FPATH_DIR 'nitroctl st'
#
# compinit loads _nitroctl from FPATH_DIR; compadd is wrapped to print the
# matches zsh would offer; Tab runs the completion.
zmodload zsh/zpty || exit 2
dir=$1 line=$2
zpty z zsh -f -i
zpty -w z 'PS1= PROMPT= RPROMPT='
zpty -w z "fpath=(${(q)dir} \$fpath)"
zpty -w z 'autoload -U compinit && compinit -u -D'
zpty -w z 'bindkey "^I" complete-word'
zpty -w z 'comppostfuncs=(nitro-done)'
zpty -w z 'nitro-done() { print -r -- "@@DONE@@"; exit }'
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "$@"; return
  fi
  local -a __hits
  builtin compadd -A __hits "$@"
  local h
  for h in $__hits; do print -r -- "@@match: $h"; done
  builtin compadd "$@"
}'
zpty -w z 'print -r -- "@@READY@@"'
zpty -r z out '*@@READY@@*' || exit 3
zpty -n -w z "$line"$'\t'
zpty -r z out '*@@DONE@@*' || exit 4
print -r -- "$out" | tr -d '\r' | sed -n 's/.*@@match: //p'
zpty -d z
