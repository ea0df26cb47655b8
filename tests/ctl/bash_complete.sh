# Complete a command line with the bash completion in FILE, as bash's
# programmable completion would on Tab, and print each match on a line.
#
#   bash --norc --noprofile bash_complete.sh FILE 'nitroctl st'
#
# The line is split into words at blanks (COMP_WORDS); a trailing blank
# starts an empty word. `complete -p nitroctl` must name the function.
source "$1" || exit 2
line=$2
spec=$(complete -p nitroctl) || exit 3
func=$(sed -E 's/.*-F ([^ ]+).*/\1/' <<<"$spec")
read -r -a COMP_WORDS <<<"$line"
[[ $line == *' ' ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}
COMPREPLY=()
"$func" nitroctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
