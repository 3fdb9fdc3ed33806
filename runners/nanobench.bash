# bash completion for nanobench (installed by `meson install` into
# share/bash-completion/completions/nanobench).
#
# It asks nanobench itself: the subcommands are the ones `nanobench --help`
# lists, the options of a subcommand the --words its `--help` prints, the
# workloads what `nanobench run --list` names, the allocators the
# "allocators:" line of `nanobench run --help`, so it never falls behind the
# program. Values it knows how to offer: presets, allocators, placements,
# size distributions, run folders and files.

_nanobench_words() {
	# every --option an --help text mentions, once
	"$1" "$2" --help 2>/dev/null | grep -o -- '--[a-z][a-z0-9-]*' | sort -u
}

_nanobench_presets() {
	# `matrix --help` lists the presets found on the line after --preset
	"$1" matrix --help 2>/dev/null | sed -n '/^  --preset NAME/{n;p}' | tr -d ',' | tr ' ' '\n' |
		grep -E '^[a-z][a-z0-9-]*$'
}

_nanobench() {
	local nb=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev= sub=${COMP_WORDS[1]}
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		local subs
		subs=$("$nb" --help 2>/dev/null | sed -n '/^subcommands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
		mapfile -t COMPREPLY < <(compgen -W "$subs --help --version" -- "$cur")
		return
	fi
	case $prev in
	--preset)
		mapfile -t COMPREPLY < <(compgen -W "$(_nanobench_presets "$nb" | sort -u)" -- "$cur")
		return ;;
	--allocator)
		# `run --help` lists them on its "allocators:" line
		mapfile -t COMPREPLY < <(compgen -W "$("$nb" run --help 2>/dev/null | sed -n 's/^allocators: //p')" -- "$cur")
		return ;;
	--placement)
		mapfile -t COMPREPLY < <(compgen -W "compact scatter cores none cpus:" -- "$cur")
		return ;;
	--size-dist)
		mapfile -t COMPREPLY < <(compgen -W "classic nano" -- "$cur")
		return ;;
	--jobs-format)
		mapfile -t COMPREPLY < <(compgen -W "parallel slurm" -- "$cur")
		return ;;
	--out | --resume)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return ;;
	--topology-xml | --profile)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	esac
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_nanobench_words "$nb" "$sub")" -- "$cur")
		return
	fi
	case $sub in
	run)
		# a workload is a line of one word; the list's prose has spaces
		[ "$COMP_CWORD" -eq 2 ] &&
			mapfile -t COMPREPLY < <(compgen -W "$("$nb" run --list 2>/dev/null |
				grep -E '^[a-z][a-z0-9-]*$')" -- "$cur") ;;
	matrix)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
	plot | compare | merge)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
	esac
}
complete -F _nanobench nanobench
