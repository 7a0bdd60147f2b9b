/** Values that break naive quoting: separators, substitutions, quotes, newlines, globs, options. */
export const NASTY = ["; rm -rf ~", "$(touch /tmp/pwned)", "`id`", "it's", `"double"`, "a\nb", "\\n", "*", "$HOME", "-n", "", "'", "''\\''"];
