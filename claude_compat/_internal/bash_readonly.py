"""The shell programs the permission gate runs without asking, and every option it knows each to take.

A whitelist, as the Claude CLI keeps one: a command is read-only only when its program is here and
every option is in that program's table. Each option names the kind of value it takes, so the
gate knows which following word is a value and which values are paths to check:

========== ==================================================================================
flag       no value (``--x=v`` is refused)
optional   a value only when attached (``--color=auto``, ``-w80``); never the next word
number     a count or size (``5``, ``-5``, ``+3``, ``10K``)
text       any plain value that is not a path (a pattern, a separator, a format)
path       a file or directory the program reads: it must lie inside the working directories
file       like path, and not a directory (diff reads the files inside one, following links)
pretty     git log's ``--format=``/``--pretty=``, attached only; never one that runs gpg (``%G?``)
gitkey     a git ``--sort``/``--group`` key or ref ``--format``: a value never naming signatures
========== ==================================================================================

Options that write, execute, follow symbolic links while walking, or read a list of further files
(``sort -o``, ``find -exec``, ``grep -R``, ``wc --files0-from``, ``git grep -O``) are simply absent.
``long_options`` lists every long option a GNU program has (from its ``--help``): GNU programs
accept any unambiguous abbreviation (``--outp`` is ``--output``), so an abbreviation is understood
only when it fits exactly one of them and that one is safe.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["GIT", "GIT_GLOBAL_OPTIONS", "PROGRAMS", "VALUE_CHECKS", "Program"]


@dataclass(frozen=True)
class Program:
    """How the gate reads one program's arguments."""

    options: Mapping[str, str]  # option spelling → the kind of value it takes (see the module doc)
    operands: str = "path"  # what its other arguments are: path, file, text, date, or none allowed
    first_operand: str | None = None  # a different kind for the first (grep's pattern, jq's filter)
    pattern_options: frozenset[str] = frozenset()  # options after which the first operand is a path too
    max_operands: int | None = None  # uniq's second operand is an output file
    operands_need: frozenset[str] = frozenset()  # git branch NAME creates a branch; only --list lists
    long_options: frozenset[str] = frozenset()  # GNU: every long option, for abbreviations
    attached: bool = True  # a short option's value may be attached (-ofile); tree wants the next word
    count_option: bool = False  # -5 is a count (head -5, grep -2, git log -3)
    words: bool = False  # every option is one exact word (find's primaries, test's operators)
    no_options: bool = False  # every argument is an operand (echo prints "-x")
    edits: bool = False  # changes files (allowed without asking only in acceptEdits mode)


def _options(**kinds: str) -> dict[str, str]:
    """``_options(flag="-a --all", number="-n")`` → ``{"-a": "flag", "--all": "flag", "-n": "number"}``."""
    return {name: kind for kind, names in kinds.items() for name in names.split()}


def _long(names: str) -> frozenset[str]:
    return frozenset(f"--{n}" for n in names.split())


_STD = "--help --version"
_SUMS = _options(
    flag=f"-b -t -z -w --binary --text --tag --zero --quiet --status --strict --warn --ignore-missing {_STD}"
)
_SUM_LONG = _long("binary check help ignore-missing quiet status strict tag text version warn zero")
_GREP = Program(
    _options(
        flag="-E -F -G -P -i -v -w -x -c -L -l -o -q -s -b -H -h -n -T -Z -z -a -I -r -U "
        "--extended-regexp --fixed-strings --basic-regexp --perl-regexp --ignore-case --no-ignore-case "
        "--word-regexp --line-regexp --null-data --no-messages --invert-match --byte-offset --line-number "
        "--line-buffered --with-filename --no-filename --only-matching --quiet --silent --text --recursive "
        f"--files-without-match --files-with-matches --count --initial-tab --null --no-group-separator "
        f"--binary {_STD}",
        text="-e -d -D --regexp --label --binary-files --directories --devices --include --exclude "
        "--exclude-dir --group-separator",
        path="-f --file --exclude-from",
        number="-m -A -B -C --max-count --before-context --after-context --context",
        optional="--color --colour",
    ),
    first_operand="text",
    pattern_options=frozenset({"-e", "-f", "--regexp", "--file"}),
    long_options=_long(
        "after-context basic-regexp before-context binary binary-files byte-offset color colour context "
        "count dereference-recursive devices directories exclude exclude-dir exclude-from extended-regexp "
        "file files-with-matches files-without-match fixed-strings group-separator help ignore-case include "
        "initial-tab invert-match label line-buffered line-number line-regexp max-count no-filename "
        "no-group-separator no-ignore-case no-messages null null-data only-matching perl-regexp quiet "
        "recursive regexp silent text version with-filename word-regexp"
    ),
    count_option=True,
)

#: Programs that only read (their paths must stay inside the working directories) or only print.
PROGRAMS: dict[str, Program] = {
    "cat": Program(
        _options(
            flag="-A -b -e -E -n -s -t -T -u -v --show-all --number-nonblank --show-ends --number "
            f"--squeeze-blank --show-tabs --show-nonprinting {_STD}"
        ),
        long_options=_long(
            "help number number-nonblank show-all show-ends show-nonprinting show-tabs squeeze-blank version"
        ),
    ),
    "head": Program(
        _options(
            flag=f"-q -v -z --quiet --silent --verbose --zero-terminated {_STD}",
            number="-c -n --bytes --lines",
        ),
        long_options=_long("bytes help lines quiet silent verbose version zero-terminated"),
        count_option=True,
    ),
    "tail": Program(  # without -f/--follow, --pid, --retry: a read that never ends
        _options(
            flag=f"-q -v -z --quiet --silent --verbose --zero-terminated {_STD}",
            number="-c -n --bytes --lines",
        ),
        long_options=_long(
            "bytes follow help lines max-unchanged-stats pid quiet retry silent sleep-interval verbose "
            "version zero-terminated"
        ),
        count_option=True,
    ),
    "wc": Program(  # without --files0-from: it reads the files a file names
        _options(flag=f"-c -m -l -L -w --bytes --chars --lines --max-line-length --words {_STD}"),
        long_options=_long("bytes chars files0-from help lines max-line-length version words"),
    ),
    "ls": Program(  # without -L/--dereference: it would follow links into what it lists
        _options(
            flag="-a -A -b -B -c -C -d -D -f -F -g -G -h -H -i -k -l -m -n -N -o -p -q -Q -r -R -s -S -t -u "
            "-U -v -x -X -Z -1 --all --almost-all --author --context --dereference-command-line "
            "--dereference-command-line-symlink-to-dir --directory --dired --escape --file-type --full-time "
            "--group-directories-first --hide-control-chars --human-readable --ignore-backups --inode "
            "--kibibytes --literal --no-group --numeric-uid-gid --quote-name --recursive --reverse "
            f"--show-control-chars --si --size --zero {_STD}",
            text="-I --block-size --format --hide --ignore --indicator-style --quoting-style --sort --time "
            "--time-style",
            number="-T -w --tabsize --width",
            optional="--classify --color --hyperlink",
        ),
        long_options=_long(
            "all almost-all author block-size classify color context dereference dereference-command-line "
            "dereference-command-line-symlink-to-dir directory dired escape file-type format full-time "
            "group-directories-first help hide hide-control-chars human-readable hyperlink ignore "
            "ignore-backups indicator-style inode kibibytes literal no-group numeric-uid-gid quote-name "
            "quoting-style recursive reverse show-control-chars si size sort tabsize time time-style version "
            "width zero"
        ),
    ),
    "grep": _GREP,  # without -R/--dereference-recursive: it follows links while walking
    "egrep": _GREP,
    "fgrep": _GREP,
    "rg": Program(  # without -L/--follow, --pre, -z/--search-zip (they run other programs)
        _options(
            flag="-i -S -s -F -w -x -v -c -l -n -N -o -H -I -q -a -u -. -U -b -P -0 -p "
            "--ignore-case --smart-case --case-sensitive --fixed-strings --word-regexp --line-regexp "
            "--invert-match --count --count-matches --files-with-matches --files-without-match "
            "--line-number --no-line-number --only-matching --with-filename --no-filename --heading "
            "--no-heading --quiet --column --no-column --hidden --no-ignore --no-ignore-vcs --no-ignore-dot "
            "--no-ignore-parent --no-ignore-global --no-ignore-exclude --text --json --stats --files "
            "--type-list --multiline --multiline-dotall --trim --vimgrep --null --unrestricted "
            "--no-messages --crlf --pcre2 --byte-offset --pretty --no-config --no-require-git "
            f"--one-file-system {_STD}",
            text="-e -g -t -T -r -E --regexp --glob --iglob --type --type-not --color --colors --sort "
            "--sortr --replace --max-filesize --path-separator --context-separator --field-match-separator "
            "--encoding",
            path="-f --file --ignore-file",
            number="-A -B -C -m -d -M -j --after-context --before-context --context --max-count --max-depth "
            "--max-columns --threads",
        ),
        first_operand="text",
        pattern_options=frozenset({"-e", "-f", "--regexp", "--file", "--files", "--type-list"}),
    ),
    "file": Program(  # without -f (reads names from a file), -z/-Z (decompressors), -C (writes), -p, -m
        _options(
            flag="-b -i -k -l -L -h -n -N -0 -r -s -d -v --brief --mime --mime-type --mime-encoding --apple "
            "--extension --keep-going --list --dereference --no-dereference --no-buffer --no-pad --print0 "
            f"--raw --special-files --debug {_STD}",
            text="-e -F -P --exclude --exclude-quiet --separator --parameter",
        )
    ),
    "stat": Program(
        _options(
            flag=f"-L -f -t --dereference --file-system --terse {_STD}",
            text="-c --format --printf --cached",
        ),
        long_options=_long("cached dereference file-system format help printf terse version"),
    ),
    "du": Program(  # without -L/--dereference (follows links while walking) and --files0-from
        _options(
            flag="-0 -a -b -c -D -H -h -k -l -m -P -S -s -x --null --all --apparent-size --bytes --total "
            "--dereference-args --human-readable --count-links --no-dereference --separate-dirs --si "
            f"--summarize --one-file-system --inodes {_STD}",
            text="-B -t --block-size --threshold --exclude --time-style",
            number="-d --max-depth",
            path="-X --exclude-from",
            optional="--time",
        ),
        long_options=_long(
            "all apparent-size block-size bytes count-links dereference "
            "dereference-args exclude exclude-from "
            "files0-from help human-readable inodes max-depth no-dereference null one-file-system "
            "separate-dirs si summarize threshold time time-style total version"
        ),
    ),
    "df": Program(
        _options(
            flag="-a -h -H -i -k -l -P -T --all --human-readable --si --inodes --local --portability "
            f"--print-type --total --no-sync {_STD}",
            text="-B -t -x --block-size --type --exclude-type",
            optional="--output",
        ),
        long_options=_long(
            "all block-size exclude-type help human-readable inodes local no-sync output portability "
            "print-type si sync total type version"
        ),
    ),
    "sort": Program(  # without -o/--output, -T, --compress-program, --files0-from, --random-source
        _options(
            flag="-b -d -f -g -h -i -M -n -R -r -s -u -V -z -c -C -m --ignore-leading-blanks "
            "--dictionary-order --ignore-case --general-numeric-sort --human-numeric-sort "
            "--ignore-nonprinting --month-sort --numeric-sort --random-sort --reverse --version-sort "
            f"--stable --unique --zero-terminated --merge --debug {_STD}",
            text="-k -t -S --key --field-separator --buffer-size --sort",
            number="--parallel --batch-size",
            optional="--check",
        ),
        long_options=_long(
            "batch-size buffer-size check compress-program debug dictionary-order "
            "field-separator files0-from "
            "general-numeric-sort help human-numeric-sort ignore-case "
            "ignore-leading-blanks ignore-nonprinting "
            "key merge month-sort numeric-sort output parallel random-sort random-source reverse sort stable "
            "temporary-directory unique version version-sort zero-terminated"
        ),
    ),
    "uniq": Program(  # at most one operand: the second names an output file
        _options(
            flag=f"-c -d -D -i -u -z --count --repeated --ignore-case --unique --zero-terminated {_STD}",
            number="-f -s -w --skip-fields --skip-chars --check-chars",
            optional="--all-repeated --group",
        ),
        max_operands=1,
        long_options=_long(
            "all-repeated check-chars count group help ignore-case repeated skip-chars skip-fields unique "
            "version zero-terminated"
        ),
    ),
    "cut": Program(
        _options(
            flag=f"-n -s -z --complement --only-delimited --zero-terminated {_STD}",
            text="-b -c -f -d --bytes --characters --fields --delimiter --output-delimiter",
        ),
        long_options=_long(
            "bytes characters complement delimiter fields help only-delimited output-delimiter version "
            "zero-terminated"
        ),
    ),
    "nl": Program(
        _options(
            flag=f"-p --no-renumber {_STD}",
            text="-b -d -f -h -n -s --body-numbering --section-delimiter --footer-numbering "
            "--header-numbering --number-format --number-separator",
            number="-i -l -v -w --line-increment --join-blank-lines --starting-line-number --number-width",
        ),
        long_options=_long(
            "body-numbering footer-numbering header-numbering help join-blank-lines line-increment "
            "no-renumber number-format number-separator number-width section-delimiter starting-line-number "
            "version"
        ),
    ),
    "diff": Program(  # without -r (follows links while walking) and -l (runs pr); operands are files
        _options(
            flag="-q -s -c -u -e -n -y -p -t -T -i -E -Z -b -w -B -a -d -N --normal --brief "
            "--report-identical-files --ed --rcs --side-by-side --left-column --suppress-common-lines "
            "--show-c-function --expand-tabs --initial-tab --suppress-blank-empty --new-file "
            "--unidirectional-new-file --ignore-case --ignore-file-name-case --no-ignore-file-name-case "
            "--ignore-tab-expansion --ignore-trailing-space --ignore-space-change --ignore-all-space "
            "--ignore-blank-lines --text --strip-trailing-cr --minimal --speed-large-files "
            f"--no-dereference {_STD}",
            number="-C -U -W --width --tabsize --horizon-lines",
            text="-F -I -x -S -D -L --show-function-line --ignore-matching-lines --exclude --starting-file "
            "--ifdef --label --palette --line-format --old-line-format --new-line-format "
            "--unchanged-line-format --old-group-format --new-group-format --changed-group-format "
            "--unchanged-group-format",
            path="-X --exclude-from",
            file="--from-file --to-file",
            optional="--context --unified --color",
        ),
        operands="file",
        long_options=_long(
            "old-group-format new-group-format changed-group-format unchanged-group-format old-line-format "
            "new-line-format unchanged-line-format brief color context ed exclude exclude-from expand-tabs "
            "from-file help horizon-lines ifdef ignore-all-space ignore-blank-lines ignore-case "
            "ignore-file-name-case ignore-matching-lines ignore-space-change ignore-tab-expansion "
            "ignore-trailing-space initial-tab label left-column line-format minimal new-file no-dereference "
            "no-ignore-file-name-case normal paginate palette rcs recursive report-identical-files "
            "show-c-function show-function-line side-by-side speed-large-files starting-file "
            "strip-trailing-cr suppress-blank-empty suppress-common-lines tabsize text to-file "
            "unidirectional-new-file unified version width"
        ),
    ),
    "cmp": Program(
        _options(
            flag=f"-b -l -s -v --print-bytes --verbose --quiet --silent {_STD}",
            text="-i --ignore-initial",
            number="-n --bytes",
        ),
        long_options=_long("bytes help ignore-initial print-bytes quiet silent verbose version"),
    ),
    "comm": Program(
        _options(
            flag=f"-1 -2 -3 -z --check-order --nocheck-order --total --zero-terminated {_STD}",
            text="--output-delimiter",
        ),
        long_options=_long("check-order help nocheck-order output-delimiter total version zero-terminated"),
    ),
    "realpath": Program(
        _options(
            flag="-e -m -L -P -q -s -z --canonicalize-existing --canonicalize-missing --logical --physical "
            f"--quiet --strip --no-symlinks --zero {_STD}",
            path="--relative-to --relative-base",
        ),
        long_options=_long(
            "canonicalize-existing canonicalize-missing help logical no-symlinks "
            "physical quiet relative-base "
            "relative-to strip version zero"
        ),
    ),
    "readlink": Program(
        _options(
            flag="-f -e -m -n -q -s -v -z --canonicalize --canonicalize-existing --canonicalize-missing "
            f"--no-newline --quiet --silent --verbose --zero {_STD}"
        ),
        long_options=_long(
            "canonicalize canonicalize-existing canonicalize-missing help no-newline quiet silent verbose "
            "version zero"
        ),
    ),
    "basename": Program(
        _options(flag=f"-a -z --multiple --zero {_STD}", text="-s --suffix"),
        operands="text",
        long_options=_long("help multiple suffix version zero"),
    ),
    "dirname": Program(
        _options(flag=f"-z --zero {_STD}"), operands="text", long_options=_long("help version zero")
    ),
    "md5sum": Program(_SUMS, long_options=_SUM_LONG),  # without -c/--check: it reads the files listed
    "sha1sum": Program(_SUMS, long_options=_SUM_LONG),
    "sha256sum": Program(_SUMS, long_options=_SUM_LONG),
    "cksum": Program(
        _options(
            flag=f"-z --tag --untagged --zero --debug --quiet --status --strict --warn "
            f"--ignore-missing {_STD}",
            text="-a --algorithm",
            number="-l --length",
        ),
        long_options=_long(
            "algorithm check debug help ignore-missing length quiet status strict "
            "tag untagged version warn zero"
        ),
    ),
    "od": Program(
        _options(
            flag=f"-a -b -c -d -f -i -l -o -s -x -v --output-duplicates --traditional {_STD}",
            text="-A -j -N -S -t --address-radix --endian --format --read-bytes --skip-bytes",
            optional="-w --strings --width",
        ),
        long_options=_long(
            "address-radix endian format help output-duplicates read-bytes skip-bytes strings traditional "
            "version width"
        ),
    ),
    "tac": Program(
        _options(flag=f"-b -r --before --regex {_STD}", text="-s --separator"),
        long_options=_long("before help regex separator version"),
    ),
    "tree": Program(  # without -o (writes), -R (writes HTML files), -l (follows links)
        _options(
            flag="-a -d -f -i -x -q -N -Q -p -u -g -s -h -D -F -v -t -c -U -r -C -A -S -n -X -J --inodes "
            "--device --noreport --du --si --prune --dirsfirst --filesfirst --gitignore --matchdirs "
            f"--ignore-case --metafirst --nolinks {_STD}",
            number="-L --filelimit",
            text="-P -I -H -T --charset --timefmt --sort",
            path="--gitfile --infofile",
        ),
        attached=False,
    ),
    "column": Program(
        _options(flag=f"-t -x --table --fillrows {_STD}", text="-s -o --separator --output-separator")
    ),
    "find": Program(  # without -exec/-ok/-delete/-fprint*/-fls, -L/-follow, -files0-from
        _options(
            flag="-P -H -empty -readable -writable -executable -nouser -nogroup -true -false -prune -quit "
            "-print -print0 -ls -depth -mount -xdev -noleaf -ignore_readdir_race -noignore_readdir_race "
            "-daystart -warn -nowarn -not -a -and -o -or ! ( ) , -help -version",
            text="-name -iname -path -ipath -wholename -iwholename -regex -iregex "
            "-lname -ilname -type -xtype "
            "-fstype -user -group -perm -regextype -printf",
            number="-maxdepth -mindepth -mtime -mmin -atime -amin -ctime -cmin -size -uid -gid -links -inum "
            "-used",
            path="-newer -anewer -cnewer -samefile",
        ),
        words=True,
    ),
    "jq": Program(  # without --arg*, --rawfile/--slurpfile, -f, -L: the filter must not import or read env
        _options(
            flag="-r -j -a -c -n -s -e -S -C -M -R --raw-output --join-output --ascii-output "
            "--compact-output --null-input --slurp --exit-status --sort-keys --color-output "
            f"--monochrome-output --tab --raw-input --seq --stream {_STD}",
            number="--indent",
        ),
        first_operand="jq",
    ),
    # --- programs that print and read no files
    "echo": Program({}, operands="text", no_options=True),
    "true": Program({}, operands="text", no_options=True),
    "false": Program({}, operands="text", no_options=True),
    "printf": Program({}, operands="text"),  # without -v: it assigns a shell variable (PATH, …)
    "pwd": Program(_options(flag="-L -P"), operands="none"),
    "whoami": Program(_options(flag=_STD), operands="none", long_options=_long("help version")),
    "sleep": Program(_options(flag=_STD), operands="text", long_options=_long("help version")),
    "uname": Program(
        _options(
            flag="-a -s -n -r -v -m -p -i -o --all --kernel-name --nodename --kernel-release "
            f"--kernel-version --machine --processor --hardware-platform --operating-system {_STD}"
        ),
        operands="none",
        long_options=_long(
            "all hardware-platform help kernel-name kernel-release kernel-version machine nodename "
            "operating-system processor version"
        ),
    ),
    "id": Program(
        _options(
            flag=f"-a -Z -g -G -n -r -u -z --context --group --groups --name --real --user --zero {_STD}"
        ),
        operands="text",
        long_options=_long("context group groups help name real user version zero"),
    ),
    "hostname": Program(  # no operands: hostname NAME and -F FILE set the name
        _options(
            flag="-a -A -d -f -i -I -s -y --alias --all-fqdns --domain --fqdn --long --ip-address "
            f"--all-ip-addresses --short {_STD}"
        ),
        operands="none",
    ),
    "which": Program(_options(flag="-a"), operands="text"),
    "type": Program(_options(flag="-a -f -p -P -t"), operands="text"),
    "seq": Program(
        _options(flag=f"-w --equal-width {_STD}", text="-f -s --format --separator"),
        operands="text",
        long_options=_long("equal-width format help separator version"),
        count_option=True,
    ),
    "date": Program(  # without -s/--set; an operand other than +FORMAT sets the clock
        _options(
            flag=f"-u -R --utc --universal --rfc-email --debug --resolution {_STD}",
            text="-d --date --rfc-3339",
            path="-r -f --reference --file",
            optional="-I --iso-8601",
        ),
        operands="date",
        long_options=_long(
            "date debug file help iso-8601 reference resolution rfc-3339 rfc-email set universal utc version"
        ),
    ),
    "test": Program(  # every operand read as a path (test -f x); without -v, -R, -a, -o
        _options(
            flag="-b -c -d -e -f -g -G -h -k -L -N -O -p -r -s -S -t -u -w -x -z -n = != == -eq -ne -lt "
            "-le -gt -ge -nt -ot -ef ! ( )"
        ),
        words=True,
    ),
    # --- programs that change files: allowed without asking only in acceptEdits, inside the directories
    "mkdir": Program(
        _options(flag=f"-p -v --parents --verbose {_STD}", text="-m --mode"),
        long_options=_long("context help mode parents verbose version"),
        edits=True,
    ),
    "touch": Program(
        _options(
            flag=f"-a -c -f -h -m --no-create --no-dereference {_STD}",
            text="-d -t --date --time",
            path="-r --reference",
        ),
        long_options=_long("date help no-create no-dereference reference time version"),
        edits=True,
    ),
    "rm": Program(  # without --no-preserve-root
        _options(
            flag=f"-f -i -I -r -R -d -v --force --recursive --dir --verbose --one-file-system {_STD}",
            optional="--interactive --preserve-root",
        ),
        long_options=_long(
            "dir force help interactive no-preserve-root one-file-system "
            "preserve-root recursive verbose version"
        ),
        edits=True,
    ),
    "rmdir": Program(
        _options(flag=f"-p -v --ignore-fail-on-non-empty --parents --verbose {_STD}"),
        long_options=_long("help ignore-fail-on-non-empty parents verbose version"),
        edits=True,
    ),
    "mv": Program(
        _options(
            flag="-f -i -n -u -v -T -b --force --interactive --no-clobber --no-target-directory "
            f"--strip-trailing-slashes --verbose --update {_STD}",
            text="-S --suffix",
            path="-t --target-directory",
            optional="--backup",
        ),
        long_options=_long(
            "backup context force help interactive no-clobber no-target-directory strip-trailing-slashes "
            "suffix target-directory update verbose version"
        ),
        edits=True,
    ),
    "cp": Program(  # without -L/--dereference (copies what links outside point to)
        _options(
            flag="-a -b -d -f -H -i -l -n -P -p -R -r -s -T -u -v -x --archive --attributes-only --force "
            "--interactive --link --no-clobber --no-dereference --one-file-system --parents --recursive "
            "--remove-destination --strip-trailing-slashes --symbolic-link --update --verbose "
            f"--no-target-directory {_STD}",
            text="-S --suffix --no-preserve --sparse",
            path="-t --target-directory",
            optional="--backup --preserve --reflink",
        ),
        long_options=_long(
            "archive attributes-only backup context copy-contents dereference force help interactive link "
            "no-clobber no-dereference no-preserve no-target-directory one-file-system parents preserve "
            "recursive reflink remove-destination sparse strip-trailing-slashes suffix symbolic-link "
            "target-directory update verbose version"
        ),
        edits=True,
    ),
}

# --- git ------------------------------------------------------------------------------------------

#: Options git itself takes before the subcommand (``-c``, ``-C``, ``--git-dir`` change what runs).
GIT_GLOBAL_OPTIONS = frozenset({"--no-pager", "-P"})

_REV_LIMIT = _options(
    flag="--all --tags --remotes --merges --no-merges --first-parent --reverse",
    optional="--branches",
    text="--since --after --until --before",
)
_LOG_FORMAT = _options(
    flag="--oneline --graph --no-decorate --relative-date --abbrev-commit --no-abbrev-commit",
    optional="--decorate --abbrev",
    text="--date",
    pretty="--pretty --format",
)
_MAX = _options(number="-n --max-count --skip")
_STAT = _options(
    flag="--numstat --shortstat --name-only --name-status --summary --compact-summary --raw -z",
    optional="--stat --dirstat",
)
_COLOR = _options(flag="--no-color", optional="--color")
_PATCH = _options(
    flag="-p -u --patch -s --no-patch --no-ext-diff --patch-with-stat --patch-with-raw", number="-U --unified"
)
_AUTHOR = _options(
    flag="-i -E -F --regexp-ignore-case --all-match --invert-grep --extended-regexp --fixed-strings",
    text="--author --committer --grep",
)
_DIFF = _options(
    flag="--no-renames -D --find-copies-harder --irreversible-delete --histogram --patience --minimal "
    "--ignore-space-at-eol --ignore-all-space --ignore-space-change --ignore-blank-lines --ignore-cr-at-eol "
    "-w -b -W --function-context --exit-code --quiet --check --full-index --binary -R -a --text "
    "--pickaxe-regex --pickaxe-all --no-prefix",
    optional="--word-diff --color-words -M -C -B --find-renames --find-copies --break-rewrites --relative",
    number="-l --inter-hunk-context",
    text="--word-diff-regex --diff-algorithm --diff-filter -S -G --src-prefix --dst-prefix "
    "--ws-error-highlight",
    path="-O",
)
_HISTORY = _options(
    flag="--full-history --dense --sparse --simplify-merges --simplify-by-decoration --source --walk-reflogs "
    "-g --no-min-parents --no-max-parents --follow --do-walk --left-right --left-only --right-only "
    "--cherry-mark --cherry-pick --cherry --boundary --topo-order --date-order --author-date-order "
    "--log-size --parents --children --clear-decorations --mailmap --no-mailmap --use-mailmap --full-diff "
    "-m -c --cc",
    optional="--ancestry-path --no-walk",
    number="--max-age --min-age --min-parents --max-parents",
    text="--decorate-refs --decorate-refs-exclude -L",
)

#: git subcommands that only read, with their options (no --output, --ext-diff, --textconv, -O pager).
GIT: dict[str, Program] = {
    "status": Program(
        _options(
            flag="-s --short -b --branch --show-stash --long -v --verbose -z --null --no-renames --renames "
            "--ahead-behind --no-ahead-behind --no-column",
            optional="--porcelain -u --untracked-files --ignored --column --find-renames --ignore-submodules",
        )
    ),
    "log": Program(
        {**_REV_LIMIT, **_LOG_FORMAT, **_MAX, **_STAT, **_COLOR, **_PATCH, **_AUTHOR, **_DIFF, **_HISTORY},
        count_option=True,
    ),
    "show": Program(
        {**_LOG_FORMAT, **_STAT, **_COLOR, **_PATCH, **_DIFF, **_options(flag="--first-parent -m --no-notes")}
    ),
    "diff": Program(
        {
            **_STAT,
            **_COLOR,
            **_PATCH,
            **_DIFF,
            **_options(
                flag="--cached --staged --no-index --merge-base -1 -2 -3 --base --ours --theirs",
                optional="--abbrev",
            ),
        }
    ),
    "shortlog": Program(
        {
            **_REV_LIMIT,
            **_options(
                flag="-s -n -e -c --summary --numbered --email --committer",
                gitkey="--group",
                pretty="--format",
                optional="-w",
                text="--author",
            ),
        }
    ),
    "blame": Program(
        _options(
            flag="--porcelain -p --line-porcelain --incremental --root --show-stats --show-name -f "
            "--show-number -n --show-email -e -w -s -l -t -c -b --score-debug --reverse",
            optional="-M -C --abbrev",
            text="-L --date --ignore-rev --since",
            path="--ignore-revs-file",
        )
    ),
    "ls-files": Program(
        _options(
            flag="-c --cached -d --deleted -m --modified -o --others -i --ignored -s --stage -k --killed -u "
            "--unmerged --directory --no-empty-directory --eol --full-name --debug -z -t -v -f "
            "--exclude-standard --error-unmatch --recurse-submodules",
            optional="--abbrev",
            text="-x --exclude --exclude-per-directory",
            path="-X --exclude-from",
        )
    ),
    "rev-parse": Program(
        _options(
            flag="--verify -q --quiet --symbolic --symbolic-full-name --show-toplevel --show-cdup "
            "--show-prefix --git-dir --git-common-dir --absolute-git-dir --is-inside-work-tree "
            "--is-inside-git-dir --is-bare-repository --is-shallow-repository",
            optional="--short --abbrev-ref",
        ),
        words=True,
    ),
    "describe": Program(
        _options(
            flag="--tags --all --long --always --contains --first-match --exact-match --debug",
            text="--match --exclude",
            number="--candidates",
            optional="--abbrev --dirty --broken",
        )
    ),
    "grep": Program(  # without -O/--open-files-in-pager: it runs a program
        _options(
            flag="-E --extended-regexp -G --basic-regexp -F --fixed-strings -P --perl-regexp -i "
            "--ignore-case -v --invert-match -w --word-regexp -n --line-number -c --count -l "
            "--files-with-matches -L --files-without-match -h -H --heading --break --full-name --no-color "
            "-o --only-matching --and --or --not --untracked --no-index --cached -q --quiet -z --null -p "
            "--show-function -W --function-context --column -r --recursive --no-recursive -a --text -I "
            "--exclude-standard --no-exclude-standard --all-match",
            text="-e",
            path="-f",
            number="-A --after-context -B --before-context -C --context --max-depth --threads -m --max-count",
            optional="--color",
        ),
        first_operand="text",
        pattern_options=frozenset({"-e", "-f"}),
        count_option=True,
    ),
    "branch": Program(  # names only after --list: git branch NAME creates one
        _options(
            flag="-l --list -a --all -r --remotes -v -vv --verbose --no-color --no-column --no-abbrev "
            "--show-current -i --ignore-case",
            optional="--color --column --abbrev",
            text="--contains --no-contains --merged --no-merged --points-at",
            gitkey="--sort --format",
        ),
        operands="text",
        operands_need=frozenset({"-l", "--list"}),
    ),
    "tag": Program(  # names only after --list: git tag NAME creates one
        _options(
            flag="-l --list --no-column -i --ignore-case",
            optional="-n --column",
            text="--contains --no-contains --merged --no-merged --points-at",
            gitkey="--sort --format",
        ),
        operands="text",
        operands_need=frozenset({"-l", "--list"}),
    ),
    "remote": Program(_options(flag="-v --verbose"), operands="none"),
}

# --- value checks ---------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?[0-9]+[A-Za-z%]{0,3}")
#: Format placeholders that make git run gpg to check signatures.
_GIT_SIGNATURE = re.compile(r"%[-+ ]?G|signature")
_GIT_PRETTY_NAMES = frozenset(
    {"oneline", "short", "medium", "full", "fuller", "reference", "email", "raw", "mboxrd"}
)
#: jq filters that read the environment or load modules from files (the CLI's check, and $__loc__ kin).
_JQ_UNSAFE = re.compile(
    r"\b(?:env|include|import|input_filename|get_search_list|modulemeta|halt_error)\b|\$(?:\s|#.*\n)*ENV\b"
)


def _git_pretty(value: str) -> bool:
    """A --format/--pretty value: a built-in name or a format string, never one that runs gpg."""
    if _GIT_SIGNATURE.search(value):
        return False
    return "%" in value or value.startswith(("format:", "tformat:")) or value in _GIT_PRETTY_NAMES


def _git_key(value: str) -> bool:
    return not _GIT_SIGNATURE.search(value)


#: What a value of each kind must look like (path and file values are checked as paths instead).
VALUE_CHECKS: dict[str, Callable[[str], bool]] = {
    "number": lambda v: _NUMBER.fullmatch(v) is not None,
    "text": lambda v: True,
    "optional": lambda v: True,
    "pretty": _git_pretty,
    "gitkey": _git_key,
    "date": lambda v: v.startswith("+"),
    "jq": lambda v: _JQ_UNSAFE.search(v) is None,
}
