#!/usr/bin/env bash
# Prints the archive URIs and keyring of the machine's existing Debian source for a suite, so
# setup.sh writes the backports source with the same mirror (or proxy) and key the machine
# already uses. Reads deb822 stanzas (*.sources) and one-line entries (sources.list, *.list).
#   usage: debian-source.sh SUITE [FILE...]    (default files: /etc/apt/sources.list{,.d/*})
#   output: two lines, "URIs: <uris>" and "Signed-By: <keyring or empty>"; exit 1 when no
#           enabled entry lists SUITE with the main component.
set -euo pipefail
suite="$1"
shift
if [ "$#" -eq 0 ]; then
  set -- /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list
fi
for file in "$@"; do
  [ -f "$file" ] || continue
  case "$file" in
    *.sources)
      # deb822: stanzas separated by blank lines; fields may be indented continuations.
      found=$(awk -v suite="$suite" '
        function flush() {
          if (!done && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && (" " comps " ") ~ / main / && enabled != "no") {
            print "URIs: " uris; print "Signed-By: " signed; done = 1; exit 0
          }
          types = suites = comps = uris = signed = ""; enabled = "yes"
        }
        BEGIN { enabled = "yes" }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        {
          line = $0; sub(/^[ \t]+/, "", line)
          if (match(line, /^[A-Za-z-]+:/)) {
            key = tolower(substr(line, 1, RLENGTH - 1)); val = substr(line, RLENGTH + 1); sub(/^[ \t]+/, "", val); sub(/[ \t]+$/, "", val)
            if (key == "types") types = val; else if (key == "suites") suites = val; else if (key == "components") comps = val
            else if (key == "uris") uris = val; else if (key == "signed-by") signed = val; else if (key == "enabled") enabled = tolower(val)
          }
        }
        END { flush() }' "$file")
      ;;
    *)
      # one-line: deb [opt=val ...] URI SUITE COMPONENT...
      found=$(awk -v suite="$suite" '
        /^[ \t]*deb[ \t]/ {
          signed = ""; i = 2
          if ($2 ~ /^\[/) {
            opts = ""
            for (; i <= NF; i++) { opts = opts " " $i; if ($i ~ /\]$/) { i++; break } }
            if (match(opts, /signed-by=[^] ]+/)) signed = substr(opts, RSTART + 10, RLENGTH - 10)
          }
          uri = $i; s = $(i + 1); main = 0
          for (j = i + 2; j <= NF; j++) if ($j == "main") main = 1
          if (s == suite && main) { print "URIs: " uri; print "Signed-By: " signed; exit 0 }
        }' "$file")
      ;;
  esac
  if [ -n "$found" ]; then
    printf '%s\n' "$found"
    exit 0
  fi
done
exit 1
