# Complete command lines in an interactive zsh on a pseudo-terminal (zpty)
# and print the matches zsh offers for each, one per line, each line's
# matches ended by a line "--".
#
#   zsh -f zsh_complete.zsh FPATH_DIR 'nitroctl st' 'nitroctl start ' ...
#
# compinit loads _nitroctl from FPATH_DIR (once: it is slow); compadd is
# wrapped to print the matches; Tab runs the completion, then Ctrl-U
# clears the line for the next one.
zmodload zsh/zpty || exit 2
dir=$1
shift
zpty z zsh -f -i
zpty -w z 'PS1= PROMPT= RPROMPT='
zpty -w z "fpath=(${(q)dir} \$fpath)"
zpty -w z 'autoload -U compinit && compinit -u -D'
zpty -w z 'nitro-complete() { zle complete-word; print -r -- "@@DONE@@"; }'
zpty -w z 'zle -N nitro-complete && bindkey "^I" nitro-complete'
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
for line in "$@"; do
  zpty -n -w z "$line"$'\t'
  zpty -r z out '*@@DONE@@*' || exit 4
  print -r -- "$out" | tr -d '\r' | sed -n 's/.*@@match: //p'
  print -r -- "--"
  zpty -n -w z $'\C-u'
done
zpty -d z
