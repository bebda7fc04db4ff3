# bash completion for dvdcli and flockercli (volumecli). What to offer comes from the program
# itself (`dvdcli __complete WORDS...`, cli/completion.hpp), read from the same table as its
# flags, so this script knows no command or flag by name. Works with and without bash-completion.

_dvdcli()
{
    # The words up to the cursor, split at blanks only: bash's own COMP_WORDS is also split at
    # COMP_WORDBREAKS ('=' and ':'), which flag values contain.
    local line=${COMP_LINE:0:COMP_POINT}
    local -a words
    read -r -a words <<<"$line"
    [[ $line == *[[:blank:]] || ${#words[@]} -eq 0 ]] && words+=("")
    local cur=${words[${#words[@]}-1]}

    local -a reply
    mapfile -t reply < <("${words[0]}" __complete "${words[@]:1}" 2>/dev/null)
    [[ ${#reply[@]} -ge 2 ]] || return 0
    local how=${reply[0]} prefix=${reply[1]}

    # bash replaces only the text after the last word-break character in the current word.
    local breaks="" keep=""
    [[ $COMP_WORDBREAKS == *=* ]] && breaks+="="
    [[ $COMP_WORDBREAKS == *:* ]] && breaks+=":"
    if [[ -n $breaks && $cur == *[$breaks]* ]]; then
        keep=${cur%"${cur##*[$breaks]}"}
    fi

    local -a found=()
    local item
    case $how in
        files) mapfile -t found < <(compgen -f -- "${cur#"$prefix"}") ;;
        directories) mapfile -t found < <(compgen -d -- "${cur#"$prefix"}") ;;
        hosts) mapfile -t found < <(compgen -A hostname -- "${cur#"$prefix"}") ;;
        commands) mapfile -t found < <(compgen -c -- "$cur") ;;
    esac
    COMPREPLY=()
    if [[ $how == words ]]; then
        for item in "${reply[@]:2}"; do
            [[ $item == "$cur"* ]] && COMPREPLY+=("${item#"$keep"}")
        done
    else
        for item in "${found[@]}"; do
            [[ $how == files || $how == directories ]] && [[ -d $item ]] && item+=/
            COMPREPLY+=("$(printf '%s%s' "$prefix" "$item")")
            COMPREPLY[-1]=${COMPREPLY[-1]#"$keep"}
        done
    fi
    # No space after a flag that takes a value ("--format=") or a directory.
    for item in "${COMPREPLY[@]}"; do
        if [[ $item == *= || $item == */ ]]; then
            compopt -o nospace 2>/dev/null
            break
        fi
    done
    return 0
}

complete -F _dvdcli dvdcli flockercli
